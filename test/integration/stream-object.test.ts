import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { queuedRequest } from "../queued-request";
import { logRecord } from "../../src/model/log-record";
import { type LogStatus, recordRequests } from "../../src/storage/connector-logs";
import { ItemBatch } from "../../src/stream/item-batch";
import type { StreamObject } from "../../src/stream/stream-object";
import { streamStub } from "../../src/stream/stub";
import { connectorWithKey, data, eventually, freshStream, ingest, logs, snapshot } from "../helpers";

/** A byte cap no test stream reaches. */
const BIG = 1024 * 1024 * 1024;

describe("stream Durable Object", () => {
	it("replaces a keyed item on upsert with a new, higher seq", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		await data(await ingest(c.key, [{ id: "a", v: 1 }, { id: "b", v: 1 }]), 202);
		await eventually(async () => expect((await snapshot(c.stream)).seq).toBe(2));
		await data(await ingest(c.key, { id: "a", v: 2 }), 202);
		const snap = await eventually(async () => {
			const s = await snapshot(c.stream);
			expect(s.seq).toBe(3);
			return s;
		});
		expect(snap.items.map((item) => [item.key, item.value.v, item.seq])).toEqual([
			["b", 1, 2],
			["a", 2, 3],
		]);
	});

	it("keeps the last of several writes to one key within a request", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		await data(await ingest(c.key, [{ id: "a", v: 1 }, { id: "a", v: 2 }]), 202);
		const snap = await eventually(async () => {
			const s = await snapshot(c.stream);
			expect(s.seq).toBe(2);
			return s;
		});
		expect(snap.items).toEqual([expect.objectContaining({ key: "a", value: { id: "a", v: 2 }, seq: 2 })]);
	});

	it("appends keyless items under generated keys", async () => {
		const c = await connectorWithKey();
		const accepted = await data<{ request_id: string }>(await ingest(c.key, [{ v: 1 }, { v: 1 }]), 202);
		const snap = await eventually(async () => {
			const s = await snapshot(c.stream);
			expect(s.items).toHaveLength(2);
			return s;
		});
		expect(snap.items.map((item) => item.key)).toEqual([`${accepted.request_id}:0`, `${accepted.request_id}:1`]);
	});

	it("keeps items and seq across a restart of the object", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		await data(await ingest(c.key, [{ id: "a" }, { id: "b" }]), 202);
		await eventually(async () => expect((await snapshot(c.stream)).seq).toBe(2));
		await abortAllDurableObjects();
		const after = await snapshot(c.stream);
		expect(after.seq).toBe(2);
		expect(after.items.map((item) => item.key)).toEqual(["a", "b"]);
		await data(await ingest(c.key, { id: "c" }), 202);
		await eventually(async () => expect((await snapshot(c.stream)).seq).toBe(3));
	});

	it("caps a stream: the oldest keyless items go first, then the oldest keyed", async () => {
		const stub = streamStub(env, freshStream());
		await runInDurableObject(stub, (_instance: StreamObject, state) => {
			const sql = state.storage.sql;
			const write = (max: number, items: { key: string | null; value: Record<string, unknown> }[], at: number) =>
				state.storage.transactionSync(() => {
					const batch = new ItemBatch(sql, at);
					batch.write(items, { at, requestId: `req_${String(at).padStart(26, "0")}` });
					return batch.finish({ maxItems: max, maxBytes: BIG });
				});
			write(10, [{ key: "k1", value: {} }, { key: null, value: { n: 1 } }, { key: "k2", value: {} }, { key: null, value: { n: 2 } }], 1);
			const trimmed = write(3, [{ key: "k3", value: {} }], 2);
			expect(trimmed.removed).toEqual([`req_${"1".padStart(26, "0")}:1`, `req_${"1".padStart(26, "0")}:3`]);
			const again = write(2, [{ key: "k4", value: {} }], 3);
			expect(again.removed).toEqual(["k1", "k2"]);
			const keys = sql.exec<{ key: string }>("SELECT key FROM items ORDER BY seq").toArray().map((row) => row.key);
			expect(keys).toEqual(["k3", "k4"]);
			expect(sql.exec<{ value: number }>("SELECT value FROM meta WHERE name = 'item_count'").one().value).toBe(2);
		});
	});

	it("counts items once through rewrites, also rows stored before created_seq existed", async () => {
		const stub = streamStub(env, freshStream());
		await runInDurableObject(stub, (_instance: StreamObject, state) => {
			const sql = state.storage.sql;
			const write = (items: { key: string | null; value: Record<string, unknown> }[], at: number, requestId: string) =>
				state.storage.transactionSync(() => {
					const batch = new ItemBatch(sql, at);
					const written = batch.write(items, { at, requestId });
					batch.finish({ maxItems: 100, maxBytes: BIG });
					return written;
				});
			const count = () => sql.exec<{ value: number }>("SELECT value FROM meta WHERE name = 'item_count'").one().value;
			expect(write([{ key: "a", value: { v: 1 } }, { key: "b", value: { v: 1 } }], 10, `req_${"1".repeat(26)}`)).toBe(2);
			expect(count()).toBe(2);
			// A row as the schema stored it before the column: NULL reads as "existed".
			sql.exec("UPDATE items SET created_seq = NULL WHERE key = 'b'");
			expect(write([{ key: "a", value: { v: 2 } }, { key: "b", value: { v: 2 } }, { key: "c", value: {} }], 20, `req_${"2".repeat(26)}`)).toBe(3);
			expect(count()).toBe(3);
			// An older write changes nothing and takes no seq.
			const seq = sql.exec<{ value: number }>("SELECT value FROM meta WHERE name = 'seq'").one().value;
			expect(write([{ key: "a", value: { v: 0 } }], 5, `req_${"3".repeat(26)}`)).toBe(0);
			expect(sql.exec<{ value: number }>("SELECT value FROM meta WHERE name = 'seq'").one().value).toBe(seq);
			expect(sql.exec<{ value: string }>("SELECT value FROM items WHERE key = 'a'").one().value).toBe('{"v":2}');
			expect(count()).toBe(3);
		});
	});

	it("logs every write and removal in the changelog once, at the time it was applied; a losing write logs nothing", async () => {
		const stub = streamStub(env, freshStream());
		await runInDurableObject(stub, (_instance: StreamObject, state) => {
			const sql = state.storage.sql;
			const apply = (items: { key: string | null; value: Record<string, unknown> }[], at: number, requestId: string, now: number, cap = 100) =>
				state.storage.transactionSync(() => {
					const batch = new ItemBatch(sql, now);
					batch.write(items, { at, requestId });
					return batch.finish({ maxItems: cap, maxBytes: BIG });
				});
			const log = () => sql.exec("SELECT seq, key, removed, changed_at FROM changelog ORDER BY seq").toArray();
			apply([{ key: "a", value: { v: 1 } }, { key: "b", value: { v: 1 } }], 10, `req_${"1".repeat(26)}`, 1000);
			apply([{ key: "a", value: { v: 2 } }], 20, `req_${"2".repeat(26)}`, 2000);
			// Older than the stored write of "a": no seq, no changelog row.
			apply([{ key: "a", value: { v: 0 } }], 5, `req_${"3".repeat(26)}`, 3000);
			// A third key over a cap of two removes the oldest ("b"), under the next seq.
			const capped = apply([{ key: "c", value: {} }], 30, `req_${"4".repeat(26)}`, 4000, 2);
			expect(capped.removed).toEqual(["b"]);
			expect(log()).toEqual([
				{ seq: 1, key: "a", removed: 0, changed_at: 1000 },
				{ seq: 2, key: "b", removed: 0, changed_at: 1000 },
				{ seq: 3, key: "a", removed: 0, changed_at: 2000 },
				{ seq: 4, key: "c", removed: 0, changed_at: 4000 },
				{ seq: 5, key: "b", removed: 1, changed_at: 4000 },
			]);
		});
	});

	it("fails a split request whose parts never all arrive, releasing its idempotency key", async () => {
		const c = await connectorWithKey();
		const parts = queuedRequest(c, Array.from({ length: 2000 }, (_, i) => ({ i, pad: "x".repeat(80) })));
		expect(parts.length).toBeGreaterThan(1);
		const stub = streamStub(env, c.stream);
		const outcomes = await stub.applyMessages(parts.slice(1));
		expect(outcomes).toEqual([{ request_id: parts[0]?.request_id, status: "queued", error: null }]);
		await runInDurableObject(stub, (_instance: StreamObject, state) => {
			state.storage.sql.exec("UPDATE parts SET arrived_at = arrived_at - ?", 3_600_000);
		});
		expect(await runDurableObjectAlarm(stub)).toBe(true);
		const late = await stub.applyMessages(parts.slice(0, 1));
		expect(late[0]).toMatchObject({ status: "failed", error: expect.stringContaining(`of ${parts.length} parts arrived`) });
		expect((await snapshot(c.stream)).items).toHaveLength(0);
		const entries = await logs(c.id);
		expect(entries[0]).toMatchObject({ request_id: parts[0]?.request_id, status: "failed" });
	});

	it("keeps house through a D1 outage: stale parts are failed and old decisions pruned, the log entry written once D1 is back", async () => {
		const c = await connectorWithKey();
		const parts = queuedRequest(c, Array.from({ length: 2000 }, (_, i) => ({ i, pad: "x".repeat(80) })));
		const id = parts[0]?.request_id as string;
		const stub = streamStub(env, c.stream);
		await stub.applyMessages(parts.slice(1));
		await runInDurableObject(stub, async (instance: StreamObject, state) => {
			const sql = state.storage.sql;
			sql.exec("UPDATE parts SET arrived_at = arrived_at - ?", 3_600_000);
			// A decision from two days ago, due to be forgotten.
			sql.exec("INSERT INTO requests (request_id, outcome, error, decided_at) VALUES ('req_old', 'processed', NULL, ?)", Date.now() - 2 * 86_400_000);
			const outcome = (request: string) =>
				sql.exec<{ outcome: string }>("SELECT outcome FROM requests WHERE request_id = ?", request).toArray()[0]?.outcome ?? null;
			const holder = instance as unknown as { env: Env };
			const real = holder.env;
			const down = { prepare: () => ({ bind: () => ({ run: async () => Promise.reject(new Error("D1 down")) }) }), batch: async () => Promise.reject(new Error("D1 down")) };
			holder.env = { ...real, DB: down as unknown as D1Database };
			try {
				await instance.alarm();
				expect(outcome(id)).toBe("failed");
				expect(outcome("req_old")).toBeNull();
				const pending = sql.exec<{ record: string }>("SELECT record FROM log_outbox ORDER BY id").toArray();
				expect(pending.map((row) => JSON.parse(row.record)).at(-1)).toMatchObject({ request_id: id, status: "failed" });
				// The log write is retried later, so the alarm stays set.
				expect(await state.storage.getAlarm()).not.toBeNull();
			} finally {
				holder.env = real;
			}
			await instance.alarm();
			expect(sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM log_outbox").one().n).toBe(0);
		});
		expect((await logs(c.id))[0]).toMatchObject({ request_id: id, status: "failed", error: expect.stringContaining("parts arrived") });
	});

	it("writes log entries at once under light traffic: the pace spaces writes only after a burst", async () => {
		const c = await connectorWithKey();
		await runInDurableObject(streamStub(env, c.stream), async (instance: StreamObject, state) => {
			const holder = instance as unknown as { env: Env };
			const real = holder.env;
			holder.env = { ...real, LOG_FLUSH_INTERVAL_MS: "60000" };
			try {
				const pending = () => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM log_outbox").one().n;
				// Each of the first four writes may follow the last at once: the alarm writes the entry out by itself.
				for (let write = 1; write <= 4; write++) {
					await instance.applyMessages(queuedRequest(c, [{ write }]));
					await eventually(() => expect(pending()).toBe(0), 5000, 10);
				}
				// The fifth waits a minute.
				const before = Date.now();
				await instance.applyMessages(queuedRequest(c, [{ write: 5 }]));
				expect(await state.storage.getAlarm()).toBeGreaterThanOrEqual(before + 59_000);
				expect(pending()).toBe(1);
				await instance.alarm();
			} finally {
				holder.env = real;
			}
		});
		expect(await logs(c.id)).toHaveLength(5);
	});

	it("writes the log entries of many deliveries in one D1 statement, LOG_FLUSH_INTERVAL_MS apart", async () => {
		const c = await connectorWithKey();
		const requests = [queuedRequest(c, [{ n: 1 }]), queuedRequest(c, [{ n: 2 }]), queuedRequest(c, [{ n: 3 }, { n: 4 }])];
		await runInDurableObject(streamStub(env, c.stream), async (instance: StreamObject, state) => {
			const holder = instance as unknown as { env: Env };
			const real = holder.env;
			const statements: string[] = [];
			const counting = { prepare: (sql: string) => (statements.push(sql), real.DB.prepare(sql)) };
			holder.env = { ...real, DB: counting as unknown as D1Database, LOG_FLUSH_INTERVAL_MS: "60000" };
			try {
				// Writes out now (of nothing) spend the burst: the next one is due a minute later, whatever arrives meanwhile.
				for (let write = 0; write < 4; write++) await instance.alarm();
				const before = Date.now();
				for (const messages of requests) await instance.applyMessages(messages);
				expect(await state.storage.getAlarm()).toBeGreaterThanOrEqual(before + 59_000);
				expect(statements).toEqual([]);
				await instance.alarm();
				expect(statements).toHaveLength(1);
				expect(state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM log_outbox").one().n).toBe(0);
			} finally {
				holder.env = real;
			}
		});
		const entries = await logs(c.id);
		expect(entries.map((entry) => [entry.request_id, entry.status, entry.items_received]).sort()).toEqual(
			requests.map((messages) => [messages[0]?.request_id, "processed", messages[0]?.items_received]).sort(),
		);
	});

	it("keeps log entries it could not write to D1 and writes them on a later alarm: none lost", async () => {
		const c = await connectorWithKey();
		const messages = queuedRequest(c, [{ n: 1 }]);
		await runInDurableObject(streamStub(env, c.stream), async (instance: StreamObject, state) => {
			const holder = instance as unknown as { env: Env };
			const real = holder.env;
			const pending = () => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM log_outbox").one().n;
			const down = { prepare: () => ({ bind: () => ({ run: async () => Promise.reject(new Error("D1 down")) }) }) };
			holder.env = { ...real, DB: down as unknown as D1Database };
			try {
				expect(await instance.applyMessages(messages)).toEqual([{ request_id: messages[0]?.request_id, status: "processed", error: null }]);
				expect(pending()).toBe(1);
				// The failed write leaves the entry stored and the alarm set for a retry, a second or more away.
				const failedAt = Date.now();
				await instance.alarm();
				expect(pending()).toBe(1);
				expect(await state.storage.getAlarm()).toBeGreaterThanOrEqual(failedAt + 1000);
				// More decisions meanwhile do not pull the retry forward: the backoff holds under load.
				await instance.applyMessages(queuedRequest(c, [{ n: 2 }]));
				expect(pending()).toBe(2);
				expect(await state.storage.getAlarm()).toBeGreaterThanOrEqual(failedAt + 1000);
			} finally {
				holder.env = real;
			}
			await instance.alarm();
			expect(pending()).toBe(0);
		});
		const entries = await logs(c.id);
		expect(entries).toHaveLength(2);
		expect(entries.map((entry) => entry.status)).toEqual(["processed", "processed"]);
		expect(entries.map((entry) => entry.request_id)).toContain(messages[0]?.request_id);
	});

	it("never turns a log entry back to queued: a late entry cannot undo a later outcome", async () => {
		const c = await connectorWithKey();
		const [message] = queuedRequest(c, [{ n: 1 }]);
		if (!message) throw new Error("no message");
		const entry = (status: LogStatus, error: string | null) => logRecord(message, status, error);
		await recordRequests(env.DB, [entry("failed", "Attempt 6 failed: stream unavailable")]);
		await recordRequests(env.DB, [entry("queued", null)]);
		expect((await logs(c.id))[0]).toMatchObject({ status: "failed", error: "Attempt 6 failed: stream unavailable" });
		// Within one write, later rows of a request win; an outcome after `failed` (a replay) is kept.
		await recordRequests(env.DB, [entry("queued", null), entry("processed", null)]);
		expect((await logs(c.id))[0]).toMatchObject({ status: "processed", error: null });
		await recordRequests(env.DB, [entry("queued", "Attempt 2 failed: late")]);
		expect((await logs(c.id))[0]).toMatchObject({ status: "processed", error: null });
	});

	it("fails only the request whose writes throw, not the rest of its delivery", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		const good = queuedRequest(c, [{ id: "ok" }], { itemKey: "id" });
		const bad = queuedRequest(c, [{ id: "boom" }], { itemKey: "id" });
		const stub = streamStub(env, c.stream);
		await runInDurableObject(stub, (_instance: StreamObject, state) => {
			state.storage.sql.exec(
				"CREATE TRIGGER refuse_boom BEFORE INSERT ON items WHEN NEW.key = 'boom' BEGIN SELECT RAISE(ABORT, 'refused'); END",
			);
		});
		const outcomes = await stub.applyMessages([...bad, ...good]);
		expect(outcomes.map((outcome) => outcome.status)).toEqual(["failed", "processed"]);
		expect(outcomes[0]?.error).toContain("refused");
		const snap = await snapshot(c.stream);
		expect(snap.items.map((item) => [item.key, item.seq])).toEqual([["ok", 1]]);
		expect(snap.seq).toBe(1);
	});

	it("refuses an idempotency key another request applied, even without the edge's claim", async () => {
		const c = await connectorWithKey();
		const make = () => {
			const [message] = queuedRequest(c, [{ n: 1 }]);
			if (!message) throw new Error("no message");
			return { ...message, idempotency_key: "k", body_hash: "a".repeat(64) };
		};
		const stub = streamStub(env, c.stream);
		const first = await stub.applyMessages([make()]);
		const second = await stub.applyMessages([make()]);
		expect(first[0]?.status).toBe("processed");
		expect(second[0]?.status).toBe("duplicate");
		const other = { ...make(), body_hash: "b".repeat(64) };
		expect((await stub.applyMessages([other]))[0]?.status).toBe("rejected");
		expect((await snapshot(c.stream)).items).toHaveLength(1);
	});
});
