import { BatchError, DataPoolError, DataPoolIngest, type IngestResult } from "datapool-ingest/sdk";
import { afterEach, describe, expect, inject, it } from "vitest";
import { connectorLogs, connectorWithKey, eventually, freshStream, type LogEntry, snapshot } from "./api";
import { type FaultProxy, startFaultProxy } from "../../sdks/conformance/fault-proxy.ts";

let proxy: FaultProxy | undefined;
afterEach(async () => {
	await proxy?.close();
	proxy = undefined;
});

/** The DataPoolError a call is rejected with. */
async function rejection(call: Promise<unknown>): Promise<DataPoolError> {
	const error = await call.then(
		() => undefined,
		(caught: unknown) => caught,
	);
	if (!(error instanceof DataPoolError)) throw new Error(`Expected a DataPoolError, got ${String(error)}`);
	return error;
}

// Short waits between retries keep the test quick; Retry-After from the proxy (1 s) is still honoured.
const backoff = { baseMs: 10, capMs: 100 };

/** The connector's log once `count` requests are logged and none is still queued. */
function settledLogs(connectorId: string, count: number): Promise<LogEntry[]> {
	return eventually(async () => {
		const entries = await connectorLogs(connectorId);
		expect(entries.filter((entry) => entry.status !== "queued")).toHaveLength(count);
		return entries;
	});
}

/** The value of item "x" and the stream's seq, read through the items API. */
async function itemX(stream: string) {
	const snap = await snapshot(stream);
	return { seq: snap.seq, value: snap.items.find((item) => item.key === "x")?.value };
}

const ABA = ["on", "off", "on"];

describe("the SDK against the real Worker", () => {
	it("ingests, and answers a repeat of the same Idempotency-Key as a replay", async () => {
		const connector = await connectorWithKey({ stream: freshStream("sdk"), item_key: "id" });
		const client = new DataPoolIngest({ key: connector.key, baseUrl: inject("serverUrl") });
		const first = await client.ingest([{ id: "a", n: 1 }], { stream: connector.stream, idempotencyKey: "order-a" });
		expect(first).toMatchObject({ stream: connector.stream, items_received: 1, replayed: false });
		expect(first.request_id).toMatch(/^req_/);
		const again = await client.ingest([{ id: "a", n: 1 }], { stream: connector.stream, idempotencyKey: "order-a" });
		expect(again).toEqual({ ...first, replayed: true });
	});

	it("applies on, off, on through ingest(): a body sent again is a new operation, and the item ends on", async () => {
		const connector = await connectorWithKey({ stream: freshStream("sdk-aba"), item_key: "id" });
		const client = new DataPoolIngest({ key: connector.key, baseUrl: inject("serverUrl") });
		const results: IngestResult[] = [];
		for (const s of ABA) results.push(await client.ingest([{ id: "x", s }]));
		expect(results.map((result) => result.replayed)).toEqual([false, false, false]);
		const logs = await settledLogs(connector.id, 3);
		expect(logs.map((entry) => entry.status)).toEqual(["processed", "processed", "processed"]);
		expect(new Set(logs.map((entry) => entry.idempotency_key)).size).toBe(3);
		expect(await itemX(connector.stream)).toEqual({ seq: 3, value: { id: "x", s: "on" } });
	});

	it("applies on, off, on through the batcher, one batch each, and the item ends on", async () => {
		const connector = await connectorWithKey({ stream: freshStream("sdk-aba-batch"), item_key: "id" });
		const client = new DataPoolIngest({ key: connector.key, baseUrl: inject("serverUrl") });
		const results: IngestResult[] = [];
		const batcher = client.createBatcher({ itemKey: "id", onBatch: (result) => results.push(result) });
		for (const s of ABA) {
			await batcher.add({ id: "x", s });
			await batcher.flush();
		}
		await batcher.close();
		expect(results.map((result) => result.replayed)).toEqual([false, false, false]);
		const logs = await settledLogs(connector.id, 3);
		expect(logs.map((entry) => entry.status)).toEqual(["processed", "processed", "processed"]);
		expect(await itemX(connector.stream)).toEqual({ seq: 3, value: { id: "x", s: "on" } });
	});

	it("applies each of on, off, on once when every answer is lost and the call retried, through ingest() and the batcher", async () => {
		const connector = await connectorWithKey({ stream: freshStream("sdk-aba-drop"), item_key: "id" });
		// Each request is accepted, its answer dropped, and its retry must be a replay of it alone.
		proxy = await startFaultProxy(inject("serverUrl"), Array.from({ length: 6 }, () => ["drop", "pass"] as const).flat());
		const client = new DataPoolIngest({ key: connector.key, baseUrl: proxy.url, backoff });
		const results: IngestResult[] = [];
		for (const s of ABA) results.push(await client.ingest([{ id: "x", s }]));
		const batcher = client.createBatcher({ itemKey: "id", onBatch: (result) => results.push(result) });
		for (const s of ABA) {
			await batcher.add({ id: "x", s });
			await batcher.flush();
		}
		await batcher.close();

		expect(results.map((result) => result.replayed)).toEqual(Array(6).fill(true));
		const keys = proxy.log.map((entry) => entry.idempotencyKey);
		// Two requests per operation, with one key each, and six keys in all.
		expect(keys.filter((_, i) => i % 2 === 0)).toEqual(keys.filter((_, i) => i % 2 === 1));
		expect(new Set(keys).size).toBe(6);
		const logs = await settledLogs(connector.id, 12);
		const statusByKey = new Map<string | null, string[]>();
		for (const entry of logs) statusByKey.set(entry.idempotency_key, [...(statusByKey.get(entry.idempotency_key) ?? []), entry.status].sort());
		expect([...statusByKey.values()]).toEqual(Array(6).fill(["duplicate", "processed"]));
		expect(await itemX(connector.stream)).toEqual({ seq: 6, value: { id: "x", s: "on" } });
	});

	it("delivers every item exactly once through 429s, 503s and dropped connections", async () => {
		const connector = await connectorWithKey({ stream: freshStream("sdk-faults"), item_key: "id" });
		// Five batches of ten. Drops come after the server accepted, so their retries must be replays.
		proxy = await startFaultProxy(inject("serverUrl"), [
			"429", "503", "drop", "pass", // batch 1: rate limited, failing, accepted but unanswered, replayed
			"drop", "pass", // batch 2
			"pass", // batch 3
			"503", "pass", // batch 4
			"drop", "drop", "pass", // batch 5: accepted once, replayed twice
		]);
		const client = new DataPoolIngest({ key: connector.key, baseUrl: proxy.url, backoff, maxAttempts: 6 });
		const results: IngestResult[] = [];
		const batcher = client.createBatcher({ maxItems: 10, itemKey: "id", onBatch: (result) => results.push(result) });
		for (let n = 0; n < 50; n++) await batcher.add({ id: `item-${n}`, n });
		await batcher.close();

		expect(proxy.log.map((entry) => entry.fault)).toEqual(["429", "503", "drop", "pass", "drop", "pass", "pass", "503", "pass", "drop", "drop", "pass"]);
		expect(results.map((result) => result.replayed)).toEqual([true, true, false, false, true]);
		expect(results.map((result) => result.items_received)).toEqual([10, 10, 10, 10, 10]);

		const stream = await eventually(async () => {
			const snap = await snapshot(connector.stream);
			expect(snap.items).toHaveLength(50);
			return snap;
		});
		// Each item written once: one seq each, so the stream's seq is the item count.
		expect(stream.seq).toBe(50);
		expect(new Map(stream.items.map((item) => [item.key, item.value]))).toEqual(
			new Map(Array.from({ length: 50 }, (_, n) => [`item-${n}`, { id: `item-${n}`, n }])),
		);

		const logs = await eventually(async () => {
			const entries = await connectorLogs(connector.id);
			expect(entries.filter((entry) => entry.status === "processed")).toHaveLength(5);
			return entries;
		});
		const forwardedKeys = proxy.log.filter((entry) => entry.forwarded).map((entry) => entry.idempotencyKey);
		expect(logs.filter((entry) => entry.status === "duplicate").map((entry) => entry.idempotency_key).sort()).toEqual(
			// Every forwarded request after the first of its key is a repeat.
			forwardedKeys.filter((key, index) => forwardedKeys.indexOf(key) !== index).sort(),
		);
		expect(logs).toHaveLength(forwardedKeys.length);
		expect(new Set(logs.filter((entry) => entry.status === "processed").map((entry) => entry.idempotency_key))).toEqual(new Set(forwardedKeys));
	});

	it("answers a dropped single request with the original request id, marked replayed", async () => {
		const connector = await connectorWithKey({ stream: freshStream("sdk-drop"), item_key: "id" });
		proxy = await startFaultProxy(inject("serverUrl"), ["drop"]);
		const client = new DataPoolIngest({ key: connector.key, baseUrl: proxy.url, backoff });
		const result = await client.ingest([{ id: "x", v: 1 }]);
		expect(result.replayed).toBe(true);
		const logs = await eventually(async () => {
			const entries = await connectorLogs(connector.id);
			expect(entries.map((entry) => entry.status).sort()).toEqual(["duplicate", "processed"]);
			return entries;
		});
		expect(logs.find((entry) => entry.status === "processed")?.request_id).toBe(result.request_id);
	});

	it("throws the API's refusals as typed errors without retrying them", async () => {
		const connector = await connectorWithKey({ stream: freshStream("sdk-errors"), item_key: "id", rate_limit: { requests: 4, period_seconds: 3600 } });
		proxy = await startFaultProxy(inject("serverUrl"), []);
		const client = new DataPoolIngest({ key: connector.key, baseUrl: proxy.url, backoff, maxElapsedMs: 5_000 });

		await client.ingest([{ id: 1 }], { idempotencyKey: "order-1" });
		const reused = await rejection(client.ingest([{ id: 2 }], { idempotencyKey: "order-1" }));
		expect(reused).toMatchObject({ code: "IDEMPOTENCY_KEY_REUSED", status: 422, retryable: false });
		expect(reused.requestId).toMatch(/^req_/);

		const invalid = await rejection(client.ingest([{ name: "no id" }]));
		expect(invalid).toMatchObject({ code: "INVALID_PAYLOAD", status: 400 });
		expect(invalid.details.map((detail) => detail.index)).toEqual([0]);

		const wrongStream = await rejection(client.ingest([{ id: 4 }], { stream: "another-stream" }));
		expect(wrongStream).toMatchObject({ code: "STREAM_NOT_FOUND", status: 404 });

		// The limit of 4 is spent (a wrong stream counts too); the API's Retry-After is far beyond the 5 s budget, so the SDK gives up at once.
		const limited = await rejection(client.ingest([{ id: 3 }]));
		expect(limited).toMatchObject({ code: "RATE_LIMITED", status: 429, retryable: true });
		expect(limited.retryAfter).toBeGreaterThan(5);

		const stranger = new DataPoolIngest({ key: "ik_live_nope", baseUrl: proxy.url, backoff });
		expect(await rejection(stranger.ingest([{ id: 5 }]))).toMatchObject({ code: "UNAUTHORIZED", status: 401 });

		// One request each: none of these was retried.
		expect(proxy.log).toHaveLength(6);
	});

	it("rejects close() with every batch that failed for good, and still delivers the rest", async () => {
		const connector = await connectorWithKey({ stream: freshStream("sdk-fail"), item_key: "id" });
		proxy = await startFaultProxy(inject("serverUrl"), ["503", "503"]);
		const client = new DataPoolIngest({ key: connector.key, baseUrl: proxy.url, backoff, maxAttempts: 2 });
		const failed: unknown[] = [];
		const batcher = client.createBatcher({ maxItems: 2, itemKey: "id", onError: (failure) => failed.push(failure.items) });
		for (let n = 0; n < 4; n++) await batcher.add({ id: n });
		const error = await batcher.close().catch((caught: unknown) => caught);
		if (!(error instanceof BatchError)) throw error;
		expect(error.failures.map((failure) => [failure.error.status, failure.items])).toEqual([[503, [{ id: 0 }, { id: 1 }]]]);
		expect(failed).toEqual([[{ id: 0 }, { id: 1 }]]);
		const snap = await eventually(async () => {
			const s = await snapshot(connector.stream);
			expect(s.items).toHaveLength(2);
			return s;
		});
		expect(snap.items.map((item) => item.key).sort()).toEqual(["2", "3"]);
	});
});
