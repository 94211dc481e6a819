import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { queuedRequest } from "../queued-request";
import { newRequestId } from "../../src/model/ids";
import type { StreamObject } from "../../src/stream/stream-object";
import { streamStub } from "../../src/stream/stub";
import { connectorWithKey, snapshot } from "../helpers";

type Mode = "upsert" | "delete" | "replace";

/** The messages of a keyed request stamped at `at` (ms after a base time). */
function at(c: { id: string; stream: string }, ms: number, items: Record<string, unknown>[], mode: Mode = "upsert") {
	const receivedAt = 1_800_000_000_000 + ms;
	return queuedRequest(c, items, { itemKey: "id", receivedAt, requestId: newRequestId(receivedAt), mode });
}

/** Delivers requests to the stream in the order given (as a queue may), one delivery each. */
async function deliver(c: { stream: string }, ...requests: ReturnType<typeof at>[]) {
	for (const messages of requests) {
		const outcomes = await streamStub(env, c.stream).applyMessages(messages);
		expect(outcomes.map((outcome) => outcome.status)).toEqual(["processed"]);
	}
}

const values = async (stream: string) => Object.fromEntries((await snapshot(stream)).items.map((item) => [item.key, item.value.v]));

describe("order with deletes, replaces and clears (queue messages out of order)", () => {
	it("a delete leaves a tombstone: an older write delivered after it does not bring the item back", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		await deliver(c, at(c, 10, [{ id: "a", v: 1 }]), at(c, 30, [{ id: "a" }], "delete"), at(c, 20, [{ id: "a", v: 2 }]));
		expect(await values(c.stream)).toEqual({});
		// A write stamped after the delete does.
		await deliver(c, at(c, 40, [{ id: "a", v: 3 }]));
		expect(await values(c.stream)).toEqual({ a: 3 });
	});

	it("a delete older than the stored write removes nothing", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		await deliver(c, at(c, 20, [{ id: "a", v: 2 }]), at(c, 10, [{ id: "a" }], "delete"));
		expect(await values(c.stream)).toEqual({ a: 2 });
	});

	it("a replace keeps items of later requests, and discards writes stamped before it that arrive after it", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		await deliver(
			c,
			at(c, 10, [{ id: "old", v: 1 }]),
			at(c, 30, [{ id: "later", v: 3 }]),
			at(c, 20, [{ id: "new", v: 2 }], "replace"),
			at(c, 15, [{ id: "late", v: 1 }]),
		);
		expect(await values(c.stream)).toEqual({ new: 2, later: 3 });
	});

	it("a clear discards older writes delivered after it; an older replace delivered after it changes nothing", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		await deliver(c, at(c, 10, [{ id: "a", v: 1 }]), at(c, 50, [], "replace"), at(c, 20, [{ id: "b", v: 1 }]), at(c, 30, [{ id: "c", v: 1 }], "replace"));
		expect(await values(c.stream)).toEqual({});
		await deliver(c, at(c, 60, [{ id: "d", v: 1 }]));
		expect(await values(c.stream)).toEqual({ d: 1 });
	});

	it("keeps tombstones and the watermark across a restart, and prunes tombstones past their retention", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		await deliver(c, at(c, 10, [], "replace"), at(c, 30, [{ id: "a" }], "delete"));
		await abortAllDurableObjects();
		await deliver(c, at(c, 5, [{ id: "x", v: 1 }]), at(c, 20, [{ id: "a", v: 1 }]));
		expect(await values(c.stream)).toEqual({});
		const stub = streamStub(env, c.stream);
		const tombstones = () =>
			runInDurableObject(stub, (_instance: StreamObject, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM tombstones").one().n);
		expect(await tombstones()).toBe(1);
		await runInDurableObject(stub, async (_instance: StreamObject, state) => {
			// Applied eight days ago: past the 7-day retention.
			state.storage.sql.exec("UPDATE tombstones SET deleted_at = deleted_at - ?", 8 * 86_400_000);
			await state.storage.setAlarm(Date.now());
		});
		expect(await runDurableObjectAlarm(stub)).toBe(true);
		expect(await tombstones()).toBe(0);
	});

	it("counts items and bytes through deletes and replaces", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		await deliver(c, at(c, 10, [{ id: "a" }, { id: "b" }, { id: "c" }]), at(c, 20, [{ id: "a" }], "delete"));
		const summary = () => streamStub(env, c.stream).summary();
		expect(await summary()).toMatchObject({ item_count: 2 });
		await deliver(c, at(c, 30, [{ id: "z" }], "replace"));
		const after = await summary();
		expect(after).toMatchObject({ item_count: 1 });
		expect(after.last_write_at).not.toBeNull();
		const bytes = await runInDurableObject(streamStub(env, c.stream), (_instance: StreamObject, state) =>
			state.storage.sql
				.exec<{ meta: number; real: number }>(
					"SELECT (SELECT value FROM meta WHERE name = 'bytes') AS meta, (SELECT SUM(length(CAST(key AS BLOB)) + length(CAST(value AS BLOB))) FROM items) AS real",
				)
				.one(),
		);
		expect(bytes.meta).toBe(bytes.real);
	});

	it("decides every item of a request on its own, in one statement: won and lost keys, tombstones and a key named twice, seqs without gaps", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		await deliver(c, at(c, 10, [{ id: "a", v: 1 }, { id: "b", v: 1 }]), at(c, 30, [{ id: "b", v: 3 }]), at(c, 40, [{ id: "t" }], "delete"));
		const before = await snapshot(c.stream);
		// Stamped 20: wins over a (10), loses to b (30) and to t's tombstone (40); c is new, and named twice (the later wins).
		await deliver(c, at(c, 20, [{ id: "a", v: 2 }, { id: "b", v: 2 }, { id: "c", v: 1 }, { id: "t", v: 2 }, { id: "c", v: 2 }]));
		const after = await snapshot(c.stream);
		expect(Object.fromEntries(after.items.map((item) => [item.key, item.value.v]))).toEqual({ a: 2, b: 3, c: 2 });
		// Three items written (a, c, c): three seqs, the last write of c holding the highest.
		expect(after.seq).toBe(before.seq + 3);
		const seqs = Object.fromEntries(after.items.map((item) => [item.key, item.seq]));
		expect(seqs).toMatchObject({ a: before.seq + 1, c: before.seq + 3 });
		const changelog = await runInDurableObject(streamStub(env, c.stream), (_instance: StreamObject, state) =>
			state.storage.sql.exec<{ seq: number; key: string }>("SELECT seq, key FROM changelog WHERE seq > ? ORDER BY seq", before.seq).toArray(),
		);
		expect(changelog).toEqual([
			{ seq: before.seq + 1, key: "a" },
			{ seq: before.seq + 2, key: "c" },
			{ seq: before.seq + 3, key: "c" },
		]);
		expect(await streamStub(env, c.stream).summary()).toMatchObject({ item_count: 3 });
	});
});
