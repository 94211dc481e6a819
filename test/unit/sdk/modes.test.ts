import { describe, expect, it } from "vitest";
import { DataPoolError, DataPoolIngest, MAX_REQUEST_BYTES } from "../../../src/sdk/index.ts";
import { accepted, failed, fakeApi } from "./fake-api.ts";

const BASE = "https://ingest.example.com";

function client(fetch: typeof globalThis.fetch, options: { maxAttempts?: number } = {}) {
	return new DataPoolIngest({ key: "ik_live_test", baseUrl: BASE, fetch, backoff: { baseMs: 1, capMs: 1 }, ...options });
}

/** The error a call is rejected with (never thrown synchronously). */
async function rejection(call: () => Promise<unknown>): Promise<unknown> {
	let promise: Promise<unknown> | undefined;
	expect(() => {
		promise = call();
	}).not.toThrow();
	return promise?.then(
		() => {
			throw new Error("expected a rejection");
		},
		(error: unknown) => error,
	);
}

describe("DataPoolIngest.delete", () => {
	it("posts one {[itemKey]: key} per key with X-Ingest-Mode: delete and X-Item-Key", async () => {
		const api = fakeApi([accepted(3, "req_d")]);
		const result = await client(api.fetch).delete(["a", 7, "c"], { itemKey: "sku", stream: "sales" });
		expect(result).toEqual({ stream: "sales", items_received: 3, request_id: "req_d", replayed: false });
		const [request] = api.sent;
		expect(request?.url).toBe(`${BASE}/api/ingest/sales`);
		expect(request?.body).toBe('[{"sku":"a"},{"sku":7},{"sku":"c"}]');
		expect(request?.headers.get("X-Ingest-Mode")).toBe("delete");
		expect(request?.headers.get("X-Item-Key")).toBe("sku");
		expect(request?.headers.get("Idempotency-Key")).toMatch(/^sdk1_[0-9a-f]{32}$/);
	});

	it("takes a single key too", async () => {
		const api = fakeApi();
		await client(api.fetch).delete("only", { itemKey: "id" });
		expect(api.sent[0]?.body).toBe('[{"id":"only"}]');
	});

	it("retries with one key per call, reused on its retries; a second call gets another", async () => {
		const api = fakeApi([failed(503, "INTERNAL_ERROR"), new TypeError("fetch failed"), accepted(1)]);
		const c = client(api.fetch);
		await c.delete(["x"], { itemKey: "id" });
		await c.delete(["x"], { itemKey: "id" });
		const keys = api.sent.map((r) => r.headers.get("Idempotency-Key"));
		expect(api.sent).toHaveLength(4);
		expect(new Set(keys.slice(0, 3)).size).toBe(1);
		expect(keys[3]).not.toBe(keys[0]);
		expect(api.sent.every((r) => r.headers.get("X-Ingest-Mode") === "delete")).toBe(true);
	});

	it("sends the caller's Idempotency-Key on every attempt", async () => {
		const api = fakeApi([failed(429, "RATE_LIMITED"), accepted(1)]);
		await client(api.fetch).delete([1], { itemKey: "id", idempotencyKey: "purge-2024-06-01" });
		expect(api.sent.map((r) => r.headers.get("Idempotency-Key"))).toEqual(["purge-2024-06-01", "purge-2024-06-01"]);
	});

	it("refuses, without sending, a missing item key field, no keys, and a key the API would refuse", async () => {
		const api = fakeApi();
		const c = client(api.fetch);
		expect(await rejection(() => c.delete(["a"], {} as { itemKey: string }))).toBeInstanceOf(TypeError);
		expect(await rejection(() => c.delete([], { itemKey: "id" }))).toMatchObject({ code: "INVALID_PAYLOAD", status: null });
		for (const bad of ["", Number.NaN, "x".repeat(513), null]) {
			const error = await rejection(() => c.delete(["ok", bad as string], { itemKey: "id" }));
			expect(error).toBeInstanceOf(DataPoolError);
			expect(error).toMatchObject({ code: "INVALID_PAYLOAD", details: [{ index: 1 }] });
		}
		expect(api.sent).toHaveLength(0);
	});

	it("refuses more keys than one request holds", async () => {
		const api = fakeApi();
		const keys = Array.from({ length: 10_001 }, (_, n) => n);
		expect(await rejection(() => client(api.fetch).delete(keys, { itemKey: "id" }))).toMatchObject({ code: "INVALID_PAYLOAD" });
		expect(api.sent).toHaveLength(0);
	});
});

describe("DataPoolIngest.replace and clear", () => {
	it("posts the items with X-Ingest-Mode: replace", async () => {
		const api = fakeApi();
		await client(api.fetch).replace([{ id: "a" }, { id: "b" }], { itemKey: "id" });
		expect(api.sent[0]?.body).toBe('[{"id":"a"},{"id":"b"}]');
		expect(api.sent[0]?.headers.get("X-Ingest-Mode")).toBe("replace");
		expect(api.sent[0]?.headers.get("X-Item-Key")).toBe("id");
	});

	it("sends [] with mode replace for replace([]) and clear()", async () => {
		const api = fakeApi([accepted(0), accepted(0)]);
		const c = client(api.fetch);
		await c.replace([]);
		const result = await c.clear({ stream: "sales" });
		expect(result.items_received).toBe(0);
		expect(api.sent.map((r) => [r.url, r.body, r.headers.get("X-Ingest-Mode"), r.headers.has("X-Item-Key")])).toEqual([
			[`${BASE}/api/ingest`, "[]", "replace", false],
			[`${BASE}/api/ingest/sales`, "[]", "replace", false],
		]);
		expect(api.sent[0]?.headers.get("Idempotency-Key")).not.toBe(api.sent[1]?.headers.get("Idempotency-Key"));
	});

	it("retries a clear with the same Idempotency-Key", async () => {
		const api = fakeApi([failed(503, "INTERNAL_ERROR"), failed(502, "INTERNAL_ERROR"), accepted(0)]);
		await client(api.fetch).clear();
		expect(api.sent).toHaveLength(3);
		expect(new Set(api.sent.map((r) => r.headers.get("Idempotency-Key"))).size).toBe(1);
	});

	it("refuses, without sending, a replace over 1 MB: it cannot be split into requests", async () => {
		const api = fakeApi();
		// Two items of half the limit each: each fits a request alone, together they do not.
		const half = "x".repeat(MAX_REQUEST_BYTES / 2);
		const error = await rejection(() => client(api.fetch).replace([{ id: 1, half }, { id: 2, half }]));
		expect(error).toBeInstanceOf(DataPoolError);
		expect(error).toMatchObject({ code: "PAYLOAD_TOO_LARGE", status: null, retryable: false });
		expect((error as Error).message).toContain("cannot be split");
		expect(api.sent).toHaveLength(0);
	});

	it("sends a replace of exactly 1 MB", async () => {
		const api = fakeApi();
		// '[{"p":"…"}]' is 10 bytes around the padding.
		await client(api.fetch).replace([{ p: "x".repeat(MAX_REQUEST_BYTES - 10) }]);
		expect(new TextEncoder().encode(api.sent[0]?.body).byteLength).toBe(MAX_REQUEST_BYTES);
	});

	it("refuses a replace of more than 10,000 items", async () => {
		const api = fakeApi();
		const items = Array.from({ length: 10_001 }, (_, n) => ({ n }));
		expect(await rejection(() => client(api.fetch).replace(items))).toMatchObject({ code: "INVALID_PAYLOAD", status: null });
		expect(api.sent).toHaveLength(0);
	});

	it("leaves ingest() an upsert without the header, as before", async () => {
		const api = fakeApi();
		await client(api.fetch).ingest([{ id: 1 }]);
		expect(api.sent[0]?.headers.has("X-Ingest-Mode")).toBe(false);
	});
});
