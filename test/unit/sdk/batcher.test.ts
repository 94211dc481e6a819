import { afterEach, describe, expect, it, vi } from "vitest";
import { BatchError, type BatchFailure, DataPoolIngest, type IngestResult } from "../../../src/sdk/index.ts";
import { accepted, failed, fakeApi, type SentRequest } from "./fake-api.ts";

function client(fetch: typeof globalThis.fetch, maxAttempts = 1) {
	return new DataPoolIngest({ key: "ik_live_test", baseUrl: "https://ingest.example.com", fetch, maxAttempts, backoff: { baseMs: 1, capMs: 1 } });
}

const keysOf = (sent: SentRequest[]) => sent.map((r) => r.headers.get("Idempotency-Key"));

const itemsOf = (request: SentRequest | undefined): { id: number }[] => JSON.parse(request?.body ?? "[]");

afterEach(() => {
	vi.useRealTimers();
});

describe("Batcher", () => {
	it("sends a batch as soon as it holds maxItems, and the rest on flush", async () => {
		const api = fakeApi();
		const batcher = client(api.fetch).createBatcher({ maxItems: 3, flushIntervalMs: 60_000 });
		for (let id = 1; id <= 7; id++) await batcher.add({ id });
		await batcher.flush();
		expect(api.sent.map((r) => itemsOf(r).map((item) => item.id))).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
		expect(new Set(api.sent.map((r) => r.headers.get("Idempotency-Key"))).size).toBe(3);
	});

	it("gives each batch a key of its own, even batches with the same body: on, off, on are three operations", async () => {
		const api = fakeApi();
		const batcher = client(api.fetch).createBatcher({ itemKey: "id" });
		for (const s of ["on", "off", "on"]) {
			await batcher.add({ id: "x", s });
			await batcher.flush();
		}
		expect(api.sent.map((r) => r.body)).toEqual(['[{"id":"x","s":"on"}]', '[{"id":"x","s":"off"}]', '[{"id":"x","s":"on"}]']);
		expect(new Set(keysOf(api.sent)).size).toBe(3);
		expect(keysOf(api.sent)).toEqual(api.sent.map(() => expect.stringMatching(/^sdk1_[0-9a-f]{32}$/)));
	});

	it("sends a batch's key again on every retry of it, and the next batch's own", async () => {
		const api = fakeApi([failed(503, "INTERNAL_ERROR"), new TypeError("fetch failed"), accepted(2), failed(429, "RATE_LIMITED"), accepted(2)]);
		const batcher = client(api.fetch, 3).createBatcher({ maxItems: 2 });
		for (let id = 1; id <= 4; id++) await batcher.add({ id });
		await batcher.close();
		const keys = keysOf(api.sent);
		expect(api.sent.map((r) => itemsOf(r).map((item) => item.id))).toEqual([[1, 2], [1, 2], [1, 2], [3, 4], [3, 4]]);
		expect(keys.slice(0, 3)).toEqual(Array(3).fill(keys[0]));
		expect(keys.slice(3)).toEqual(Array(2).fill(keys[3]));
		expect(keys[0]).not.toBe(keys[3]);
	});

	it("sends the caller's key per batch when given, asked once per batch with the batch's offset", async () => {
		const api = fakeApi([failed(503, "INTERNAL_ERROR")]);
		const asked: [number, number][] = [];
		const batcher = client(api.fetch, 2).createBatcher({
			maxItems: 2,
			idempotencyKey: ({ items, offset }) => {
				asked.push([offset, items.length]);
				return `sales.csv@2024-06-01:${offset}+${items.length}`;
			},
		});
		for (let id = 1; id <= 5; id++) await batcher.add({ id });
		await batcher.close();
		expect(asked).toEqual([[0, 2], [2, 2], [4, 1]]);
		expect(keysOf(api.sent)).toEqual(["sales.csv@2024-06-01:0+2", "sales.csv@2024-06-01:0+2", "sales.csv@2024-06-01:2+2", "sales.csv@2024-06-01:4+1"]);
	});

	it("never sends more than maxBytes of JSON, however the items are sized", async () => {
		const api = fakeApi();
		const maxBytes = 1_000;
		const batcher = client(api.fetch).createBatcher({ maxBytes, maxItems: 10_000, flushIntervalMs: 60_000 });
		for (let id = 0; id < 200; id++) await batcher.add({ id, text: "é".repeat((id * 37) % 150) });
		await batcher.close();
		const sizes = api.sent.map((r) => new TextEncoder().encode(r.body).byteLength);
		expect(Math.max(...sizes)).toBeLessThanOrEqual(maxBytes);
		expect(api.sent.flatMap((r) => itemsOf(r).map((item) => item.id))).toEqual(Array.from({ length: 200 }, (_, i) => i));
	});

	it("sends what it holds flushIntervalMs after the first item", async () => {
		vi.useFakeTimers();
		const api = fakeApi();
		const batcher = client(api.fetch).createBatcher({ flushIntervalMs: 1_000 });
		await batcher.add({ id: 1 });
		await batcher.add({ id: 2 });
		await vi.advanceTimersByTimeAsync(999);
		expect(api.sent).toHaveLength(0);
		await vi.advanceTimersByTimeAsync(1);
		expect(api.sent.map((r) => itemsOf(r).length)).toEqual([2]);
		await batcher.close();
	});

	it("makes add() wait while maxBufferedItems are held (backpressure)", async () => {
		const releases: (() => void)[] = [];
		const api = fakeApi([], (request) => {
			const count = itemsOf(request).length;
			return new Promise((resolve) => releases.push(() => resolve(Response.json({ success: true, data: { stream: "s", items_received: count, request_id: "req_x" } }, { status: 202 }))));
		});
		const batcher = client(api.fetch).createBatcher({ maxItems: 2, maxBufferedItems: 2, flushIntervalMs: 60_000 });
		await batcher.add({ id: 1 });
		await batcher.add({ id: 2 });
		let third = false;
		const adding = batcher.add({ id: 3 }).then(() => {
			third = true;
		});
		await vi.waitFor(() => expect(api.sent).toHaveLength(1));
		expect(third).toBe(false);
		expect(batcher.size).toBe(3);
		releases.shift()?.();
		await adding;
		expect(third).toBe(true);
		const closing = batcher.close();
		await vi.waitFor(() => expect(releases).toHaveLength(1));
		releases.shift()?.();
		await closing;
		expect(api.sent.map((r) => itemsOf(r).map((item) => item.id))).toEqual([[1, 2], [3]]);
	});

	it("reports a failed batch to onError and rejects flush() with it, once; later batches still go out", async () => {
		const api = fakeApi([failed(400, "INVALID_PAYLOAD")]);
		const errors: BatchFailure[] = [];
		const sent: IngestResult[] = [];
		const batcher = client(api.fetch).createBatcher({
			maxItems: 2,
			onError: (failure) => errors.push(failure),
			onBatch: (result) => sent.push(result),
		});
		for (let id = 1; id <= 4; id++) await batcher.add({ id });
		const error = await batcher.flush().catch((e: unknown) => e);
		if (!(error instanceof BatchError)) throw error;
		expect(error.failures.map((f) => [f.error.code, f.items])).toEqual([["INVALID_PAYLOAD", [{ id: 1 }, { id: 2 }]]]);
		expect(errors.map((f) => f.idempotencyKey)).toEqual([api.sent[0]?.headers.get("Idempotency-Key")]);
		expect(sent.map((r) => r.items_received)).toEqual([2]);
		await expect(batcher.flush()).resolves.toBeUndefined();
	});

	it("refuses, alone, an item the API would refuse, so it cannot sink a batch", async () => {
		const api = fakeApi();
		const batcher = client(api.fetch).createBatcher({ itemKey: "id", maxBytes: 100 });
		await expect(batcher.add({ name: "no id" })).rejects.toMatchObject({ code: "INVALID_PAYLOAD", status: null });
		await expect(batcher.add({ id: "" })).rejects.toMatchObject({ code: "INVALID_PAYLOAD" });
		await expect(batcher.add([{ id: 1 }])).rejects.toMatchObject({ code: "INVALID_PAYLOAD" });
		await expect(batcher.add({ id: 1, big: "x".repeat(100) })).rejects.toMatchObject({ code: "PAYLOAD_TOO_LARGE" });
		await batcher.add({ id: 2 });
		await batcher.close();
		expect(api.sent.map((r) => r.body)).toEqual(['[{"id":2}]']);
		expect(api.sent[0]?.headers.get("X-Item-Key")).toBe("id");
	});

	it("sends the items as they were when added", async () => {
		const api = fakeApi();
		const batcher = client(api.fetch).createBatcher();
		const item = { id: 1, value: "before" };
		await batcher.add(item);
		item.value = "after";
		await batcher.close();
		expect(api.sent[0]?.body).toBe('[{"id":1,"value":"before"}]');
	});

	it("refuses items once closed", async () => {
		const batcher = client(fakeApi().fetch).createBatcher();
		await batcher.close();
		await expect(batcher.add({ id: 1 })).rejects.toMatchObject({ code: "BATCHER_CLOSED" });
	});

	it("checks its limits against the API's", () => {
		const c = client(fakeApi().fetch);
		expect(() => c.createBatcher({ maxBytes: 2_000_000 })).toThrow(RangeError);
		expect(() => c.createBatcher({ maxItems: 10_001 })).toThrow(RangeError);
		expect(() => c.createBatcher({ maxBufferedItems: 0 })).toThrow(RangeError);
	});
});
