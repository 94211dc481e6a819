// The SDK's delete(), replace() and clear() against the real Worker (npm start), retries included.
import { DataPoolIngest } from "datapool-ingest/sdk";
import { afterEach, describe, expect, inject, it } from "vitest";
import { connectorLogs, connectorWithKey, eventually, freshStream, type LogEntry, snapshot } from "./api";
import { type FaultProxy, startFaultProxy } from "../../sdks/conformance/fault-proxy.ts";

let proxy: FaultProxy | undefined;
afterEach(async () => {
	await proxy?.close();
	proxy = undefined;
});

const backoff = { baseMs: 10, capMs: 100 };

/** A log entry with the operation the contract adds to it. */
type OperationLogEntry = LogEntry & { operation: string };

async function newConnector(prefix: string) {
	const connector = await connectorWithKey({ stream: freshStream(prefix), item_key: "id" });
	return { ...connector, client: new DataPoolIngest({ key: connector.key, baseUrl: inject("serverUrl"), backoff }) };
}

/** The stream's items as `{key: value}`, once they are `expected`. */
function itemsBecome(stream: string, expected: Record<string, unknown>) {
	return eventually(async () => {
		const snap = await snapshot(stream);
		expect(Object.fromEntries(snap.items.map((item) => [item.key, item.value]))).toEqual(expected);
		return snap;
	});
}

/** The connector's log once `count` requests are logged and none is still queued. */
function settledLogs(connectorId: string, count: number): Promise<OperationLogEntry[]> {
	return eventually(async () => {
		const entries = (await connectorLogs(connectorId)) as OperationLogEntry[];
		expect(entries.filter((entry) => entry.status !== "queued")).toHaveLength(count);
		return entries;
	});
}

/**
 * A fetch through `base` that, when an attempt fails (the proxy dropped an answer the server
 * had given), first writes `late` and waits for it to be applied: a retry that were applied
 * again, instead of answered as a replay, would act on that later write.
 */
function fetchWritingBeforeRetry(client: DataPoolIngest, stream: string, late: { id: string; [field: string]: unknown }): typeof fetch {
	return async (input, init) => {
		try {
			return await fetch(input, init);
		} catch (error) {
			await client.ingest([late]);
			await eventually(async () => expect((await snapshot(stream)).items.find((item) => item.key === late.id)?.value).toEqual(late));
			throw error;
		}
	};
}

describe("delete, replace and clear through the SDK", () => {
	it("ingest, then delete: the deleted items are gone, the others stay, an unknown key is no error", async () => {
		const { client, stream, id } = await newConnector("sdk-delete");
		await client.ingest([{ id: "a" }, { id: "b" }, { id: 3 }]);
		await itemsBecome(stream, { a: { id: "a" }, b: { id: "b" }, 3: { id: 3 } });
		const result = await client.delete(["a", 3, "never-stored"], { itemKey: "id" });
		expect(result).toMatchObject({ stream, items_received: 3, replayed: false });
		await itemsBecome(stream, { b: { id: "b" } });
		const logs = await settledLogs(id, 2);
		expect(logs.map((entry) => [entry.operation, entry.status])).toEqual([
			["delete", "processed"],
			["upsert", "processed"],
		]);
	});

	it("replace: only the replaced items remain, with their new values", async () => {
		const { client, stream } = await newConnector("sdk-replace");
		await client.ingest([{ id: "a", v: 1 }, { id: "b", v: 1 }, { id: "c", v: 1 }]);
		await itemsBecome(stream, { a: { id: "a", v: 1 }, b: { id: "b", v: 1 }, c: { id: "c", v: 1 } });
		await client.replace([{ id: "b", v: 2 }, { id: "d", v: 2 }], { itemKey: "id", stream });
		await itemsBecome(stream, { b: { id: "b", v: 2 }, d: { id: "d", v: 2 } });
	});

	it("clear and replace([]) empty the stream, and it fills again afterwards", async () => {
		const { client, stream, id } = await newConnector("sdk-clear");
		await client.ingest([{ id: "a" }, { id: "b" }]);
		await itemsBecome(stream, { a: { id: "a" }, b: { id: "b" } });
		await client.clear();
		await itemsBecome(stream, {});
		await client.ingest([{ id: "c" }]);
		await itemsBecome(stream, { c: { id: "c" } });
		await client.replace([]);
		await itemsBecome(stream, {});
		const logs = await settledLogs(id, 4);
		expect(logs.map((entry) => entry.operation)).toEqual(["replace", "upsert", "replace", "upsert"]);
	});

	it("applies a delete once when its answer is lost: the retry is a replay, and a write made in between stays", async () => {
		const { client, key, stream, id } = await newConnector("sdk-delete-drop");
		await client.ingest([{ id: "x", v: 1 }]);
		await itemsBecome(stream, { x: { id: "x", v: 1 } });
		proxy = await startFaultProxy(inject("serverUrl"), ["drop", "pass"]);
		const late = { id: "x", v: 2 };
		const viaProxy = new DataPoolIngest({ key, baseUrl: proxy.url, backoff, fetch: fetchWritingBeforeRetry(client, stream, late) });
		const result = await viaProxy.delete("x", { itemKey: "id" });
		expect(result.replayed).toBe(true);
		expect(proxy.log.map((entry) => entry.fault)).toEqual(["drop", "pass"]);
		expect(new Set(proxy.log.map((entry) => entry.idempotencyKey)).size).toBe(1);
		await itemsBecome(stream, { x: late });
		const logs = await settledLogs(id, 4);
		const deletes = logs.filter((entry) => entry.operation === "delete");
		expect(deletes.map((entry) => entry.status).sort()).toEqual(["duplicate", "processed"]);
		expect(deletes.find((entry) => entry.status === "processed")?.request_id).toBe(result.request_id);
	});

	it("applies a clear once through 503s and a lost answer: a write made before its retry survives", async () => {
		const { client, key, stream, id } = await newConnector("sdk-clear-drop");
		await client.ingest([{ id: "a" }, { id: "b" }]);
		await itemsBecome(stream, { a: { id: "a" }, b: { id: "b" } });
		proxy = await startFaultProxy(inject("serverUrl"), ["503", "drop", "pass"]);
		const late = { id: "late" };
		const viaProxy = new DataPoolIngest({ key, baseUrl: proxy.url, backoff, fetch: fetchWritingBeforeRetry(client, stream, late) });
		const result = await viaProxy.clear();
		expect(result).toMatchObject({ items_received: 0, replayed: true });
		expect(new Set(proxy.log.map((entry) => entry.idempotencyKey)).size).toBe(1);
		// Applied again, the retry would have removed "late", written after the clear was stamped.
		await itemsBecome(stream, { late });
		const logs = await settledLogs(id, 4);
		expect(logs.filter((entry) => entry.operation === "replace").map((entry) => entry.status).sort()).toEqual(["duplicate", "processed"]);
	});

	it("refuses, before sending anything, a replace over 1 MB", async () => {
		const { key } = await newConnector("sdk-replace-big");
		proxy = await startFaultProxy(inject("serverUrl"), []);
		const viaProxy = new DataPoolIngest({ key, baseUrl: proxy.url, backoff });
		const half = "x".repeat(600_000);
		await expect(viaProxy.replace([{ id: 1, half }, { id: 2, half }])).rejects.toMatchObject({ code: "PAYLOAD_TOO_LARGE", status: null });
		expect(proxy.log).toHaveLength(0);
	});
});
