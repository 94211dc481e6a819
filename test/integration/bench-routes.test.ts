import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import production from "../../src/index";
import { call, failure } from "../helpers";

/** Asks the production Worker itself, not the test Worker the tests run. */
async function productionFetch(path: string, init: RequestInit = {}): Promise<Response> {
	const ctx = createExecutionContext();
	const response = await production.fetch(new Request(`http://datapool.test${path}`, init) as Request<unknown, IncomingRequestCfProperties>, env, ctx);
	await waitOnExecutionContext(ctx);
	return response;
}

const post = (path: string) => call(path, { method: "POST", body: '{"id":1}' });

describe("benchmark floor routes (test Worker only)", () => {
	it("do not exist in the production Worker", async () => {
		await failure(await productionFetch("/api/bench/floor", { method: "POST", body: "{}" }), 404, "NOT_FOUND");
		await failure(await productionFetch("/api/bench/floor-rate-limited", { method: "POST", body: "{}" }), 404, "NOT_FOUND");
		await failure(await productionFetch("/api/bench/streams/some-stream/storage"), 404, "NOT_FOUND");
	});

	it("answer the ingest route's 202 body; the rate-limited one adds the RateLimit headers", async () => {
		const floor = await post("/api/bench/floor");
		expect(floor.status).toBe(202);
		const body = await floor.json<{ data: { request_id: string } }>();
		expect(body).toMatchObject({ success: true, data: { stream: "bench", items_received: 1 } });
		expect(body.data.request_id).toBe(floor.headers.get("X-Request-Id"));
		expect(floor.headers.get("RateLimit-Limit")).toBeNull();

		const limited = await post("/api/bench/floor-rate-limited");
		expect(limited.status).toBe(202);
		expect(limited.headers.get("RateLimit-Limit")).toBe("1000000");
	});

	it("report a stream object's storage size", async () => {
		const response = await call("/api/bench/streams/some-stream/storage");
		const body = await response.json<{ data: { bytes: number } }>();
		expect(body.data.bytes).toBeGreaterThan(0);
	});
});

describe("schema validation bench routes (test Worker only)", () => {
	it("each library accepts the bench items and refuses a bad one: they do the work they are measured for", async () => {
		const { benchItem } = await import("../fixtures/bench-schema");
		for (const library of ["none", "cfworker", "zod"]) {
			const items = Array.from({ length: 100 }, (_, i) => benchItem(i));
			const accepted = await call(`/api/bench/validate/${library}`, { method: "POST", body: JSON.stringify(items) });
			expect(accepted.status, library).toBe(202);
			const bad = [...items, { ...benchItem(100), revenue: -1 }, { ...benchItem(101), address: { city: "Lyon", country: "France" } }];
			const refused = await call(`/api/bench/validate/${library}`, { method: "POST", body: JSON.stringify(bad) });
			expect(refused.status, library).toBe(library === "none" ? 202 : 400);
		}
		await failure(await call("/api/bench/validate/ajv", { method: "POST", body: "{}" }), 404, "NOT_FOUND");
	});
});
