import { afterEach, describe, expect, it, vi } from "vitest";
import { DataPoolError, DataPoolIngest } from "../../../src/sdk/index.ts";
import { accepted, failed, fakeApi } from "./fake-api.ts";

const BASE = "https://ingest.example.com";

function client(fetch: typeof globalThis.fetch, options: { maxAttempts?: number; maxElapsedMs?: number; timeoutMs?: number } = {}) {
	return new DataPoolIngest({ key: "ik_live_test", baseUrl: `${BASE}/`, fetch, backoff: { baseMs: 1, capMs: 1 }, ...options });
}

afterEach(() => {
	vi.useRealTimers();
});

describe("DataPoolIngest.ingest", () => {
	it("posts the items with the key, the item key and a fresh Idempotency-Key, and returns the accepted data", async () => {
		const api = fakeApi([accepted(2, "req_a")]);
		const result = await client(api.fetch).ingest([{ id: 1 }, { id: 2 }], { itemKey: "id", stream: "sales" });
		expect(result).toEqual({ stream: "sales", items_received: 2, request_id: "req_a", replayed: false });
		const [request] = api.sent;
		expect(request?.url).toBe(`${BASE}/api/ingest/sales`);
		expect(request?.body).toBe('[{"id":1},{"id":2}]');
		expect(request?.headers.get("Authorization")).toBe("Bearer ik_live_test");
		expect(request?.headers.get("Content-Type")).toBe("application/json");
		expect(request?.headers.get("X-Item-Key")).toBe("id");
		expect(request?.headers.get("Idempotency-Key")).toMatch(/^sdk1_[0-9a-f]{32}$/);
	});

	it("sends a new Idempotency-Key per call, even for the same body: on, off, on are three operations", async () => {
		const api = fakeApi();
		const c = client(api.fetch);
		for (const s of ["on", "off", "on"]) await c.ingest([{ id: "x", s }], { itemKey: "id" });
		const keys = api.sent.map((r) => r.headers.get("Idempotency-Key"));
		expect(api.sent[0]?.body).toBe(api.sent[2]?.body);
		expect(new Set(keys).size).toBe(3);
	});

	it("reports a replay", async () => {
		const api = fakeApi([accepted(1, "req_original", { "Idempotent-Replayed": "true" })]);
		const result = await client(api.fetch).ingest({ id: 1 }, { idempotencyKey: "order-1" });
		expect(result).toMatchObject({ request_id: "req_original", replayed: true });
		expect(api.sent[0]?.headers.get("Idempotency-Key")).toBe("order-1");
		expect(api.sent[0]?.url).toBe(`${BASE}/api/ingest`);
	});

	it("retries 5xx, 429 and network errors with the same Idempotency-Key every time", async () => {
		const api = fakeApi([failed(503, "INTERNAL_ERROR"), new TypeError("fetch failed"), failed(429, "RATE_LIMITED"), accepted(1)]);
		const result = await client(api.fetch).ingest([{ id: 1 }]);
		expect(result.items_received).toBe(1);
		expect(api.sent).toHaveLength(4);
		expect(new Set(api.sent.map((r) => r.headers.get("Idempotency-Key"))).size).toBe(1);
		expect(new Set(api.sent.map((r) => r.body)).size).toBe(1);
	});

	it("retries with the caller's Idempotency-Key when one is given", async () => {
		const api = fakeApi([failed(503, "INTERNAL_ERROR"), new TypeError("fetch failed"), accepted(1)]);
		await client(api.fetch).ingest([{ id: 1 }], { idempotencyKey: "import-2024-06-01T00:00Z" });
		expect(api.sent.map((r) => r.headers.get("Idempotency-Key"))).toEqual(Array(3).fill("import-2024-06-01T00:00Z"));
	});

	it.each([
		[400, "INVALID_PAYLOAD"],
		[401, "UNAUTHORIZED"],
		[404, "STREAM_NOT_FOUND"],
		[413, "PAYLOAD_TOO_LARGE"],
		[422, "IDEMPOTENCY_KEY_REUSED"],
	])("never retries %i %s, and throws it as a typed error", async (status, code) => {
		const api = fakeApi([failed(status, code)]);
		const error = await client(api.fetch).ingest([{ id: 1 }]).catch((e: unknown) => e);
		expect(api.sent).toHaveLength(1);
		expect(error).toBeInstanceOf(DataPoolError);
		expect(error).toMatchObject({ code, status, requestId: "req_err", retryable: false, message: `${code} happened.` });
	});

	it("gives up after maxAttempts with the last error", async () => {
		const api = fakeApi([], () => failed(503, "INTERNAL_ERROR"));
		const error = await client(api.fetch, { maxAttempts: 3 }).ingest([{ id: 1 }]).catch((e: unknown) => e);
		expect(api.sent).toHaveLength(3);
		expect(error).toMatchObject({ code: "INTERNAL_ERROR", status: 503, retryable: true });
	});

	it("waits exactly what Retry-After asks before retrying a 429", async () => {
		vi.useFakeTimers();
		const api = fakeApi([failed(429, "RATE_LIMITED", { "Retry-After": "7" }), accepted(1)]);
		const pending = client(api.fetch).ingest([{ id: 1 }]);
		await vi.advanceTimersByTimeAsync(6_999);
		expect(api.sent).toHaveLength(1);
		await vi.advanceTimersByTimeAsync(1);
		await expect(pending).resolves.toMatchObject({ items_received: 1 });
		expect(api.sent).toHaveLength(2);
	});

	it("does not start a retry that the time budget cannot hold, and reports retryAfter", async () => {
		const api = fakeApi([failed(429, "RATE_LIMITED", { "Retry-After": "120" })]);
		const error = await client(api.fetch, { maxElapsedMs: 60_000 }).ingest([{ id: 1 }]).catch((e: unknown) => e);
		expect(api.sent).toHaveLength(1);
		expect(error).toMatchObject({ code: "RATE_LIMITED", status: 429, retryAfter: 120, retryable: true });
	});

	it("times out an attempt that gets no answer, and retries it", async () => {
		vi.useFakeTimers();
		const hang = (_: unknown, signal: AbortSignal | undefined) =>
			new Promise<Response>((_, reject) => signal?.addEventListener("abort", () => reject(signal.reason)));
		const api = fakeApi([hang, accepted(1)]);
		const pending = client(api.fetch, { timeoutMs: 5_000 }).ingest([{ id: 1 }]);
		await vi.advanceTimersByTimeAsync(5_000);
		await vi.runAllTimersAsync();
		await expect(pending).resolves.toMatchObject({ items_received: 1 });
		expect(api.sent).toHaveLength(2);
	});

	it("stops at once when the caller aborts, with the signal's reason", async () => {
		const controller = new AbortController();
		const api = fakeApi([], (_, signal) => {
			controller.abort(new Error("shutting down"));
			return Promise.reject(signal?.reason);
		});
		const error = await client(api.fetch).ingest([{ id: 1 }], { signal: controller.signal }).catch((e: unknown) => e);
		expect(error).toEqual(new Error("shutting down"));
		expect(api.sent).toHaveLength(1);
	});

	it("calls a 2xx without the success envelope an unexpected response", async () => {
		const api = fakeApi([new Response("<html>", { status: 200 })]);
		await expect(client(api.fetch).ingest([{ id: 1 }])).rejects.toMatchObject({ code: "UNEXPECTED_RESPONSE", status: 200 });
	});

	it("reads an error without the envelope by its status: a 502 from a proxy is retried", async () => {
		const api = fakeApi([new Response("Bad gateway", { status: 502 }), accepted(1)]);
		await expect(client(api.fetch).ingest([{ id: 1 }])).resolves.toMatchObject({ items_received: 1 });
		expect(api.sent).toHaveLength(2);
	});
});
