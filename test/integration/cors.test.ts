import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

const call = (method: string, path: string, headers: Record<string, string> = {}) =>
	exports.default.fetch(new Request(`http://datapool.test${path}`, { method, headers }));

/** The response's headers, request id and date aside. */
const headersOf = (response: Response) =>
	Object.fromEntries([...response.headers].filter(([name]) => name !== "x-request-id" && name !== "date"));

const EXPOSE = "X-Request-Id,Idempotent-Replayed,Retry-After,RateLimit-Limit,RateLimit-Remaining,RateLimit-Reset";

describe("CORS on /api/*", () => {
	it("answers a preflight 204 with the allowed methods and headers, whatever the path", async () => {
		for (const path of ["/api/ingest", "/api/ingest/sales", "/api/admin/connectors", "/api/nothing-here"]) {
			const response = await call("OPTIONS", path, {
				Origin: "https://app.example",
				"Access-Control-Request-Method": "POST",
				"Access-Control-Request-Headers": "authorization, content-type",
			});
			expect(response.status, path).toBe(204);
			expect(response.headers.get("X-Request-Id"), path).toMatch(/^req_/);
			expect(headersOf(response), path).toEqual({
				"access-control-allow-origin": "*",
				"access-control-expose-headers": EXPOSE,
				"access-control-max-age": "86400",
				"access-control-allow-methods": "GET,POST,PATCH,DELETE,OPTIONS",
				"access-control-allow-headers": "Authorization,Content-Type,Content-Encoding,Idempotency-Key,X-Item-Key,X-Ingest-Mode",
				vary: "Access-Control-Request-Headers",
			});
			expect(await response.text()).toBe("");
		}
	});

	it("lets any origin read every answer, errors included, and exposes the ingest headers", async () => {
		const answers = [
			await call("GET", "/api/health", { Origin: "https://app.example" }),
			await call("POST", "/api/ingest", { Origin: "https://app.example", "Content-Type": "application/json" }),
			await call("GET", "/api/nothing-here"),
			await call("GET", "/api/admin/connectors"),
		];
		expect(answers.map((response) => response.status)).toEqual([200, 401, 404, 401]);
		for (const response of answers) {
			expect(response.headers.get("Access-Control-Allow-Origin")).toBe("*");
			expect(response.headers.get("Access-Control-Expose-Headers")).toBe(EXPOSE);
			expect(response.headers.get("Access-Control-Allow-Methods")).toBeNull();
			expect(response.headers.get("Vary")).toBeNull();
			expect(response.headers.get("X-Request-Id")).toMatch(/^req_/);
			expect(response.headers.get("Content-Type")).toMatch(/^application\/json/);
		}
	});

	it("leaves the dashboard's pages without API CORS headers", async () => {
		const page = await call("GET", "/");
		expect(page.status).toBe(200);
		expect(page.headers.get("Access-Control-Expose-Headers")).toBeNull();
	});
});
