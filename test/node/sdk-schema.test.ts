// The SDK's batcher against the real Worker (npm start) on a stream with a schema: what it reports of items the schema refuses.
import { BatchError, type BatchFailure, DataPoolIngest, type RejectedItem } from "datapool-ingest/sdk";
import { describe, expect, inject, it } from "vitest";
import { adminCall, connectorLogs, connectorWithKey, eventually, freshStream, snapshot } from "./api";

const SCHEMA = {
	$schema: "https://json-schema.org/draft/2020-12/schema",
	type: "object",
	required: ["id", "price"],
	properties: { id: { type: "string" }, price: { type: "number" } },
};

/** A connector (item key "id") on a fresh stream whose schema is SCHEMA, and an SDK client with its key. */
async function streamWithSchema(prefix: string) {
	const connector = await connectorWithKey({ stream: freshStream(prefix), item_key: "id" });
	const stream = await adminCall<{ schema: unknown }>(`/streams/${connector.stream}`, { method: "PATCH", body: { schema: SCHEMA } });
	expect(stream.schema).toEqual(SCHEMA);
	const client = new DataPoolIngest({ key: connector.key, baseUrl: inject("serverUrl"), maxAttempts: 5, backoff: { baseMs: 10, capMs: 100 } });
	return { ...connector, client };
}

async function batchError(promise: Promise<unknown>): Promise<BatchError> {
	const error = await promise.catch((e: unknown) => e);
	if (!(error instanceof BatchError)) throw new Error(`Expected a BatchError, got ${String(error)}`);
	return error;
}

/** The connector's log statuses once `count` requests are logged and none is still queued, oldest first. */
function settledStatuses(connectorId: string, count: number): Promise<string[]> {
	return eventually(async () => {
		const entries = await connectorLogs(connectorId);
		expect(entries.filter((entry) => entry.status !== "queued")).toHaveLength(count);
		return entries.map((entry) => entry.status).reverse();
	});
}

describe("the batcher on a stream with a schema", () => {
	it("reports the items the schema rejected with their problems, sends that batch once, applies none of it, and the next batch", async () => {
		const { client, stream, id } = await streamWithSchema("sdk-schema");
		const calls: { rejected: readonly RejectedItem[]; failure: BatchFailure }[] = [];
		const batcher = client.createBatcher({ maxItems: 3, flushIntervalMs: 60_000, onRejected: (rejected, failure) => calls.push({ rejected, failure }) });
		for (const item of [{ id: "a1", price: 1 }, { id: "a2", price: "free" }, { id: "a3" }, { id: "b1", price: 2 }, { id: "b2", price: 3 }, { id: "b3", price: 4 }]) {
			await batcher.add(item);
		}
		const error = await batchError(batcher.close());

		expect(calls).toHaveLength(1);
		const [failure] = error.failures;
		expect(error.failures).toHaveLength(1);
		expect(failure).toBe(calls[0]?.failure);
		expect(failure?.error).toMatchObject({ code: "INVALID_PAYLOAD", status: 400 });
		expect(failure?.error.message).toMatch(/^2 of 3 items/);
		expect(failure?.rejected).toEqual([
			{ index: 1, item: { id: "a2", price: "free" }, problems: [{ path: ["price"], message: expect.stringContaining("number") }] },
			{ index: 2, item: { id: "a3" }, problems: [{ path: ["price"], message: expect.stringContaining('"price"') }] },
		]);
		expect(failure?.rejectedTotal).toBe(2);
		expect(failure?.notRejected).toEqual([{ id: "a1", price: 1 }]);

		// Sent once (a 400 is not retried), refused whole; the next batch applied.
		expect(await settledStatuses(id, 2)).toEqual(["rejected", "processed"]);
		const items = (await snapshot(stream)).items;
		expect(Object.fromEntries(items.map((item) => [item.key, item.value]))).toEqual({
			b1: { id: "b1", price: 2 },
			b2: { id: "b2", price: 3 },
			b3: { id: "b3", price: 4 },
		});
	});

	it("delivers what onRejected fixes and adds again while close() runs; close() still reports the refused batch", async () => {
		const { client, stream } = await streamWithSchema("sdk-schema-fix");
		const batcher = client.createBatcher({
			maxItems: 3,
			flushIntervalMs: 60_000,
			onRejected: (rejected, failure) => {
				for (const { item } of rejected) void batcher.add({ ...item, price: 0 });
				for (const item of failure.notRejected) void batcher.add(item);
			},
		});
		for (const item of [{ id: "a1", price: 1 }, { id: "a2", price: "free" }, { id: "a3" }]) await batcher.add(item);
		const error = await batchError(batcher.close());
		expect(error.failures.map((f) => f.rejected.map((r) => r.index))).toEqual([[1, 2]]);
		await eventually(async () => {
			const items = (await snapshot(stream)).items;
			expect(Object.fromEntries(items.map((item) => [item.key, item.value]))).toEqual({
				a1: { id: "a1", price: 1 },
				a2: { id: "a2", price: 0 },
				a3: { id: "a3", price: 0 },
			});
		});
	});

	it("marks the list partial when the server lists 100 problems of 150 failed items", async () => {
		const { client, id } = await streamWithSchema("sdk-schema-many");
		const batcher = client.createBatcher({ maxItems: 150, flushIntervalMs: 60_000 });
		for (let n = 0; n < 150; n++) await batcher.add({ id: `x${n}` });
		const [failure] = (await batchError(batcher.close())).failures;
		expect(failure?.error.details).toHaveLength(100);
		expect(failure?.rejected.map((r) => r.index)).toEqual(Array.from({ length: 100 }, (_, n) => n));
		expect(failure?.rejectedTotal).toBe(150);
		expect(failure?.notRejected).toHaveLength(50);
		expect(await settledStatuses(id, 1)).toEqual(["rejected"]);
	});
});
