import {
	createExecutionContext,
	createMessageBatch,
	getQueueResult,
	runDurableObjectAlarm,
	runInDurableObject,
	type MessageBatchMessage,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { newRequestId } from "../../src/model/ids";
import { queuedRequest } from "../queued-request";
import worker from "../../src/index";
import type { OperationPart } from "../../src/model/operation";
import type { StreamObject } from "../../src/stream/stream-object";
import { streamStub } from "../../src/stream/stub";
import { admin, connectorWithKey, data, failure, flushedLogs, logs, snapshot } from "../helpers";

interface Replayed {
	request_id: string;
	status: string;
	error: string | null;
}

let ids = 0;
async function consume(bodies: OperationPart[], queue = "datapool-ingest", attempts = 1) {
	const messages: MessageBatchMessage<OperationPart>[] = bodies.map((body) => ({ id: `dl-${++ids}`, timestamp: new Date(), attempts, body }));
	const batch = createMessageBatch(queue, messages);
	const ctx = createExecutionContext();
	await worker.queue(batch, env, ctx);
	return getQueueResult(batch, ctx);
}

const deadLetter = (bodies: OperationPart[]) => consume(bodies, "datapool-ingest-dlq");

async function replay(body: unknown): Promise<Replayed[]> {
	return (await data<{ results: Replayed[] }>(await admin("/dead-letters/replay", { body }))).results;
}

describe("dead letters", () => {
	it("are kept in D1 and listed until a replay applies them once", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		const messages = queuedRequest(c, [{ id: "a", v: 1 }, { id: "b", v: 1 }], { itemKey: "id" });
		const id = messages[0]?.request_id as string;
		await deadLetter(messages);
		expect((await logs(c.id))[0]).toMatchObject({ request_id: id, status: "failed" });
		const listed = await data<{ request_id: string; parts: number; parts_dead_lettered: number; replayed_at: string | null }[]>(
			await admin(`/dead-letters?connector_id=${c.id}`),
		);
		expect(listed).toEqual([expect.objectContaining({ request_id: id, stream: c.stream, parts: 1, parts_dead_lettered: 1, replayed_at: null })]);
		// The stream gave up on it: a late delivery does not apply it behind the admin's back.
		await consume(messages);
		expect((await snapshot(c.stream)).items).toHaveLength(0);

		expect(await replay({ request_ids: [id] })).toEqual([{ request_id: id, status: "processed", error: null }]);
		expect((await snapshot(c.stream)).items.map((item) => item.key)).toEqual(["a", "b"]);
		expect((await logs(c.id))[0]).toMatchObject({ request_id: id, status: "processed", error: null });
		expect(await data(await admin(`/dead-letters?connector_id=${c.id}`))).toEqual([]);

		// Replaying again, or redelivering, changes nothing.
		expect(await replay({ request_ids: [id] })).toEqual([{ request_id: id, status: "not_failed", error: "Already processed." }]);
		await consume(messages);
		expect((await snapshot(c.stream)).seq).toBe(2);
	});

	it("lists nothing to replay when a dead letter's request was applied after all", async () => {
		const c = await connectorWithKey();
		const messages = queuedRequest(c, [{ v: 1 }]);
		await consume(messages);
		await deadLetter(messages);
		expect((await logs(c.id))[0]?.status).toBe("processed");
		expect(await data(await admin(`/dead-letters?connector_id=${c.id}`))).toEqual([]);
		expect(await data(await admin(`/dead-letters?connector_id=${c.id}&pending=false`))).toHaveLength(1);
	});

	it("replays a split request from its dead-lettered part and the parts the stream kept", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		const items = Array.from({ length: 3000 }, (_, i) => ({ id: `item-${i}`, pad: "p".repeat(60) }));
		const [first, ...others] = queuedRequest(c, items, { itemKey: "id" });
		if (!first) throw new Error("no parts");
		expect(others.length).toBeGreaterThan(0);
		await consume(others);
		expect((await flushedLogs(c))[0]?.status).toBe("queued");
		await deadLetter([first]);
		expect((await logs(c.id))[0]?.status).toBe("failed");
		expect((await snapshot(c.stream)).items).toHaveLength(0);

		expect(await replay({ request_ids: [first.request_id] })).toEqual([{ request_id: first.request_id, status: "processed", error: null }]);
		const snap = await snapshot(c.stream);
		expect(snap.items).toHaveLength(3000);
		expect(snap.seq).toBe(3000);
	});

	it("reports a request whose parts are not all at hand as incomplete, and leaves it failed", async () => {
		const c = await connectorWithKey();
		const parts = queuedRequest(c, Array.from({ length: 3000 }, (_, i) => ({ i, pad: "p".repeat(60) })));
		const [first, second] = parts;
		if (!first || !second) throw new Error("no parts");
		await deadLetter([first]);
		const [result] = await replay({ request_ids: [first.request_id] });
		expect(result).toMatchObject({ status: "incomplete", error: `Only 1 of ${parts.length} parts are kept.` });
		expect((await logs(c.id))[0]?.status).toBe("failed");
		// Once the missing parts are dead-lettered too, the replay goes through.
		await deadLetter(parts.slice(1));
		expect((await replay({ request_ids: [first.request_id] }))[0]?.status).toBe("processed");
		expect((await snapshot(c.stream)).items).toHaveLength(3000);
	});

	it("replays a request the stream failed itself, by connector", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		const stub = streamStub(env, c.stream);
		await runInDurableObject(stub, (_instance: StreamObject, state) => {
			state.storage.sql.exec("CREATE TRIGGER refuse BEFORE INSERT ON items BEGIN SELECT RAISE(ABORT, 'disk full'); END");
		});
		const messages = queuedRequest(c, [{ id: "x" }], { itemKey: "id" });
		await consume(messages);
		expect((await flushedLogs(c))[0]).toMatchObject({ status: "failed", error: expect.stringContaining("disk full") });
		await runInDurableObject(stub, (_instance: StreamObject, state) => state.storage.sql.exec("DROP TRIGGER refuse"));

		const results = await replay({ connector_id: c.id });
		expect(results).toEqual([{ request_id: messages[0]?.request_id, status: "processed", error: null }]);
		expect((await snapshot(c.stream)).items.map((item) => item.key)).toEqual(["x"]);
	});

	it("never applies an Idempotency-Key twice: a replay after the client's own retry is a duplicate", async () => {
		const c = await connectorWithKey();
		const original = queuedRequest(c, [{ v: 1 }], { idempotencyKey: "order-1" });
		await deadLetter(original);
		// The failure released the key; the client retried with it and that retry was applied.
		const retry = queuedRequest(c, [{ v: 1 }], { idempotencyKey: "order-1" });
		await consume(retry);
		const [result] = await replay({ request_ids: [original[0]?.request_id] });
		expect(result).toMatchObject({ status: "duplicate", error: expect.stringContaining(retry[0]?.request_id as string) });
		expect((await snapshot(c.stream)).items).toHaveLength(1);
	});

	it("says which ids it does not know or that did not fail, and validates its input", async () => {
		const c = await connectorWithKey();
		const done = queuedRequest(c, [{ v: 1 }]);
		await consume(done);
		await flushedLogs(c);
		const unknown = newRequestId();
		expect(await replay({ request_ids: [unknown, done[0]?.request_id] })).toEqual([
			{ request_id: unknown, status: "not_found", error: "No such request." },
			{ request_id: done[0]?.request_id, status: "not_failed", error: "Already processed." },
		]);
		await failure(await admin("/dead-letters/replay", { body: { request_ids: [] } }), 400, "INVALID_PAYLOAD");
		await failure(await admin("/dead-letters/replay", { body: { request_ids: ["nope"] } }), 400, "INVALID_PAYLOAD");
		await failure(await admin("/dead-letters/replay", { body: { request_ids: [unknown], connector_id: c.id } }), 400, "INVALID_PAYLOAD");
		await failure(await admin("/dead-letters/replay", { body: { request_ids: [unknown] }, token: "wrong" }), 401, "UNAUTHORIZED");
		await failure(await admin("/dead-letters", { token: "wrong" }), 401, "UNAUTHORIZED");
	});

	it("keeps a failed request's parts in the stream for 24 h, then forgets them with the decision", async () => {
		const c = await connectorWithKey();
		const [first, ...others] = queuedRequest(c, Array.from({ length: 3000 }, (_, i) => ({ i, pad: "p".repeat(60) })));
		if (!first) throw new Error("no parts");
		await consume(others);
		await deadLetter([first]);
		const stub = streamStub(env, c.stream);
		const held = () =>
			runInDurableObject(stub, (_instance: StreamObject, state) => ({
				parts: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM parts").one().n,
				requests: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM requests").one().n,
			}));
		expect(await held()).toEqual({ parts: others.length, requests: 1 });
		// Kept parts are not "waiting" parts: the timeout does not fail the request again.
		await runInDurableObject(stub, (_instance: StreamObject, state) => {
			state.storage.sql.exec("UPDATE parts SET arrived_at = arrived_at - ?", 3_600_000);
		});
		await runDurableObjectAlarm(stub);
		expect(await held()).toEqual({ parts: others.length, requests: 1 });
		await runInDurableObject(stub, (_instance: StreamObject, state) => {
			state.storage.sql.exec("UPDATE requests SET decided_at = decided_at - ?", 25 * 3_600_000);
		});
		await runDurableObjectAlarm(stub);
		expect(await held()).toEqual({ parts: 0, requests: 0 });
	});
});
