import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { queuedRequest } from "../queued-request";
import { ItemBatch } from "../../src/stream/item-batch";
import type { StreamObject } from "../../src/stream/stream-object";
import { streamStub } from "../../src/stream/stub";
import { connectorWithKey, freshStream } from "../helpers";

type Row = { key: string | null; value: Record<string, unknown> };

/** Runs writes straight into a fresh stream object's ItemBatch, one transaction each. */
function inObject(check: (write: (items: Row[], at: number, caps?: { maxItems: number; maxBytes: number }) => ReturnType<ItemBatch["finish"]>, sql: SqlStorage) => void) {
	return runInDurableObject(streamStub(env, freshStream()), (_instance: StreamObject, state) => {
		const sql = state.storage.sql;
		const write = (items: Row[], at: number, caps = { maxItems: 1_000_000, maxBytes: 1024 * 1024 * 1024 }) =>
			state.storage.transactionSync(() => {
				const batch = new ItemBatch(sql, at);
				batch.write(items, { at, requestId: `req_${String(at).padStart(26, "0")}` });
				return batch.finish(caps);
			});
		check(write, sql);
	});
}

const bytesOf = (sql: SqlStorage) => sql.exec<{ value: number }>("SELECT value FROM meta WHERE name = 'bytes'").one().value;
const realBytes = (sql: SqlStorage) =>
	sql.exec<{ n: number }>("SELECT COALESCE(SUM(length(CAST(key AS BLOB)) + length(CAST(value AS BLOB))), 0) AS n FROM items").one().n;

describe("a stream's bounds", () => {
	it("counts the UTF-8 bytes of keys and values through inserts, rewrites and removals", () =>
		inObject((write, sql) => {
			write([{ key: "a", value: { s: "é".repeat(10) } }, { key: null, value: { n: 1 } }], 1);
			expect(bytesOf(sql)).toBe(realBytes(sql));
			write([{ key: "a", value: { s: "日本" } }], 2);
			expect(bytesOf(sql)).toBe(realBytes(sql));
			write([{ key: "b", value: {} }], 3, { maxItems: 2, maxBytes: 1024 * 1024 });
			expect(bytesOf(sql)).toBe(realBytes(sql));
			expect(sql.exec("SELECT key FROM items").toArray()).toHaveLength(2);
		}));

	it("caps a stream by bytes: the oldest keyless items go first, then the oldest keyed, each removal with its own seq", () =>
		inObject((write, sql) => {
			const pad = "x".repeat(90);
			// Each item is about 100 bytes: key + {"p":"xxx…"}.
			write([{ key: "k1", value: { p: pad } }, { key: null, value: { p: pad } }, { key: "k2", value: { p: pad } }, { key: null, value: { p: pad } }], 1);
			const before = bytesOf(sql);
			const caps = { maxItems: 100, maxBytes: before };
			const trimmed = write([{ key: "k3", value: { p: pad } }], 2, caps);
			expect(trimmed.removed).toEqual([`req_${"1".padStart(26, "0")}:1`]);
			expect(bytesOf(sql)).toBeLessThanOrEqual(before);
			const again = write([{ key: "k4", value: { p: pad.repeat(2) } }], 3, caps);
			expect(again.removed).toEqual([`req_${"1".padStart(26, "0")}:3`, "k1"]);
			expect(again.to - again.from + 1).toBe(3);
			expect(bytesOf(sql)).toBe(realBytes(sql));
			expect(bytesOf(sql)).toBeLessThanOrEqual(before);
		}));

	it("never lets a keyed write replace a keyless item of the same key", () =>
		inObject((write, sql) => {
			write([{ key: null, value: { keyless: true } }], 1);
			const keylessKey = `req_${"1".padStart(26, "0")}:0`;
			const result = write([{ key: keylessKey, value: { keyed: true } }], 2);
			expect(result.items).toEqual([]);
			expect(sql.exec<{ value: string; keyless: number }>("SELECT value, keyless FROM items WHERE key = ?", keylessKey).one()).toEqual({
				value: '{"keyless":true}',
				keyless: 1,
			});
		}));

	// 250,000 keyless items make 11 MB of changelog rows: as one statement that was SQLITE_TOOBIG, failing the delivery.
	it("applies a delivery of 25 requests of 10,000 keyless items whole, in bounded transactions, every item once", { timeout: 180_000 }, async () => {
		const c = await connectorWithKey();
		const requests = Array.from({ length: 25 }, () => queuedRequest(c, Array.from({ length: 10_000 }, () => ({}))));
		const messages = requests.flat();
		const stub = streamStub(env, c.stream);
		const seen: number[] = [];
		const outcomes = await runInDurableObject(stub, async (instance: StreamObject, state) => {
			// Count the transactions: each commits through transactionSync at the top level.
			const storage = state.storage;
			const original = storage.transactionSync.bind(storage);
			let depth = 0;
			storage.transactionSync = <T>(closure: () => T): T =>
				original(() => {
					depth++;
					try {
						const result = closure();
						if (depth === 1) seen.push(storage.sql.exec<{ value: number }>("SELECT value FROM meta WHERE name = 'seq'").one().value);
						return result;
					} finally {
						depth--;
					}
				});
			try {
				return await instance.applyMessages(messages);
			} finally {
				storage.transactionSync = original;
			}
		});
		expect(outcomes.map((outcome) => outcome.status)).toEqual(requests.map(() => "processed"));
		// At most one 10,000-item request's writes per transaction.
		expect(seen.length).toBeGreaterThanOrEqual(25);
		// Each transaction wrote one request's 10,000 items, plus as many removals once the 100,000-item cap is reached.
		for (let i = 1; i < seen.length; i++) expect((seen[i] as number) - (seen[i - 1] as number)).toBeLessThanOrEqual(20_000);
		const stored = await runInDurableObject(stub, (_instance: StreamObject, state) =>
			state.storage.sql
				.exec<{ n: number; seq: number; count: number }>(
					`SELECT COUNT(*) AS n, (SELECT value FROM meta WHERE name = 'seq') AS seq,
					 (SELECT value FROM meta WHERE name = 'item_count') AS count FROM items`,
				)
				.one(),
		);
		// The cap keeps the newest 100,000; each of the 150,000 removals took a seq.
		expect(stored).toEqual({ n: 100_000, seq: 400_000, count: 100_000 });
	});
});
