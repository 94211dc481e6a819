import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

describe("GET /api/health", () => {
	it("answers ok without authentication, with a request id", async () => {
		const response = await exports.default.fetch("http://x/api/health");
		expect(response.status).toBe(200);
		expect(await response.json()).toEqual({ success: true, data: { status: "ok" } });
		expect(response.headers.get("X-Request-Id")).toMatch(/^req_[0-9a-z]{26}$/);
	});

	it("answers unknown routes with the error envelope", async () => {
		const response = await exports.default.fetch("http://x/api/nope");
		expect(response.status).toBe(404);
		const body = await response.json<{ success: boolean; error: { code: string }; request_id: string }>();
		expect(body.success).toBe(false);
		expect(body.error.code).toBe("NOT_FOUND");
		expect(body.request_id).toBe(response.headers.get("X-Request-Id"));
	});
});
