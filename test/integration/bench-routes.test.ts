import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { call, failure } from "../helpers";

async function post(path: string, environment: Env): Promise<Response> {
	const ctx = createExecutionContext();
	const response = await worker.fetch(new Request(`http://datapool.test${path}`, { method: "POST", body: '{"id":1}' }), environment, ctx);
	await waitOnExecutionContext(ctx);
	return response;
}

describe("benchmark floor routes", () => {
	it("do not exist unless BENCH_ROUTES is 1", async () => {
		await failure(await call("/api/bench/floor", { method: "POST", body: "{}" }), 404, "NOT_FOUND");
		await failure(await post("/api/bench/floor-rate-limited", { ...env, BENCH_ROUTES: "true" } as Env), 404, "NOT_FOUND");
	});

	it("answer the ingest route's 202 body when switched on; the rate-limited one adds the RateLimit headers", async () => {
		const on = { ...env, BENCH_ROUTES: "1" } as Env;
		const floor = await post("/api/bench/floor", on);
		expect(floor.status).toBe(202);
		const body = await floor.json<{ data: { request_id: string } }>();
		expect(body).toMatchObject({ success: true, data: { stream: "bench", items_received: 1 } });
		expect(body.data.request_id).toBe(floor.headers.get("X-Request-Id"));
		expect(floor.headers.get("RateLimit-Limit")).toBeNull();

		const limited = await post("/api/bench/floor-rate-limited", on);
		expect(limited.status).toBe(202);
		expect(limited.headers.get("RateLimit-Limit")).toBe("1000000");
	});

	it("reports a stream object's storage size when switched on", async () => {
		const on = { ...env, BENCH_ROUTES: "1" } as Env;
		const ctx = createExecutionContext();
		const response = await worker.fetch(new Request("http://datapool.test/api/bench/streams/some-stream/storage"), on, ctx);
		await waitOnExecutionContext(ctx);
		const body = await response.json<{ data: { bytes: number } }>();
		expect(body.data.bytes).toBeGreaterThan(0);
		await failure(await call("/api/bench/streams/some-stream/storage"), 404, "NOT_FOUND");
	});
});
