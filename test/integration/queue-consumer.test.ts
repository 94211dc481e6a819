import { createExecutionContext, createMessageBatch, getQueueResult, type MessageBatchMessage } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { queuedRequest } from "../queued-request";
import worker from "../../src/index";
import type { OperationPart } from "../../src/model/operation";
import { connectorWithKey, eventually, flushedLogs, logs, snapshot } from "../helpers";

let ids = 0;
function deliveries(bodies: OperationPart[], attempts = 1): MessageBatchMessage<OperationPart>[] {
	return bodies.map((body) => ({ id: `msg-${++ids}`, timestamp: new Date(), attempts, body }));
}

async function consume(messages: MessageBatchMessage<unknown>[], environment: Env = env, queue = "datapool-ingest") {
	const batch = createMessageBatch(queue, messages);
	const ctx = createExecutionContext();
	await worker.queue(batch, environment, ctx);
	return getQueueResult(batch, ctx);
}

/** An env whose stream objects fail `failures` times before working. */
function flakyStreams(failures: number): Env {
	let left = failures;
	const namespace = {
		idFromName: (name: string) => env.STREAM.idFromName(name),
		get: (id: DurableObjectId) => {
			const stub = env.STREAM.get(id);
			return {
				applyMessages: async (messages: OperationPart[]) => {
					if (left-- > 0) throw new Error("stream unavailable");
					return stub.applyMessages(messages);
				},
			};
		},
	};
	return { ...env, STREAM: namespace } as unknown as Env;
}

describe("queue consumer", () => {
	it("applies a redelivered message once and acks both deliveries", async () => {
		const c = await connectorWithKey();
		const [message] = deliveries(queuedRequest(c, [{ n: 1 }, { n: 2 }]));
		if (!message) throw new Error("no message");
		const first = await consume([message]);
		expect(first.explicitAcks).toEqual([message.id]);
		const second = await consume([{ ...message, attempts: 2 }]);
		expect(second.explicitAcks).toEqual([message.id]);
		expect(second.retryMessages).toEqual([]);

		const snap = await snapshot(c.stream);
		expect(snap.items).toHaveLength(2);
		expect(snap.seq).toBe(2);
		expect((await flushedLogs(c)).map((entry) => entry.status)).toEqual(["processed"]);
	});

	it("retries with backoff when the stream fails, then applies once: nothing lost, nothing doubled", async () => {
		const c = await connectorWithKey();
		const [message] = deliveries(queuedRequest(c, [{ n: 1 }]));
		if (!message) throw new Error("no message");
		const failed = await consume([message], flakyStreams(1));
		expect(failed.explicitAcks).toEqual([]);
		// getQueueResult reports which messages were retried, not their delay: retryDelaySeconds has its own unit test.
		expect(failed.retryMessages.map((retry) => retry.msgId)).toEqual([message.id]);
		const pending = await logs(c.id);
		expect(pending[0]).toMatchObject({ status: "queued", error: "Attempt 1 failed: stream unavailable" });
		expect((await snapshot(c.stream)).items).toHaveLength(0);

		const ok = await consume([{ ...message, attempts: 2 }]);
		expect(ok.explicitAcks).toEqual([message.id]);
		expect((await snapshot(c.stream)).items).toHaveLength(1);
		expect((await flushedLogs(c))[0]).toMatchObject({ status: "processed", error: null });

		await consume([{ ...message, attempts: 3 }]);
		expect((await snapshot(c.stream)).seq).toBe(1);
	});

	it("records the error as failed on the last attempt, and the dead-letter consumer keeps it", async () => {
		const c = await connectorWithKey();
		const [message] = deliveries(queuedRequest(c, [{ n: 1 }]), Number(env.QUEUE_MAX_RETRIES) + 1);
		if (!message) throw new Error("no message");
		const result = await consume([message], flakyStreams(1));
		expect(result.retryMessages.map((retry) => retry.msgId)).toEqual([message.id]);
		expect((await logs(c.id))[0]).toMatchObject({ status: "failed", error: expect.stringContaining("stream unavailable") });

		const dead = await consume([message], env, "datapool-ingest-dlq");
		expect(dead.explicitAcks).toEqual([message.id]);
		expect((await logs(c.id))[0]).toMatchObject({ status: "failed", error: expect.stringContaining("stream unavailable") });
		// The stream gave up on the request: a late delivery of it is not applied.
		await consume([{ ...message, attempts: 1 }]);
		expect((await snapshot(c.stream)).items).toHaveLength(0);
	});

	it("acks what the stream applied even while D1 is down: the log entries wait in the stream's outbox", async () => {
		const c = await connectorWithKey();
		const [message] = deliveries(queuedRequest(c, [{ n: 1 }]));
		if (!message) throw new Error("no message");
		const down = { prepare: () => ({ bind: () => ({ run: async () => Promise.reject(new Error("D1 down")) }) }) };
		const result = await consume([message], { ...env, DB: down as unknown as D1Database });
		expect(result.explicitAcks).toEqual([message.id]);
		expect(result.retryMessages).toEqual([]);
		expect((await snapshot(c.stream)).items).toHaveLength(1);
		// The consumer wrote nothing to D1; the stream object writes the entry with its own D1 binding.
		expect((await flushedLogs(c))[0]).toMatchObject({ request_id: message.body.request_id, status: "processed" });
	});

	it("drops malformed messages instead of retrying them forever", async () => {
		const result = await consume([{ id: "bad-1", timestamp: new Date(), attempts: 1, body: { hello: "world" } }]);
		expect(result.explicitAcks).toEqual(["bad-1"]);
	});

	it("groups a batch by stream: one stream failing does not hold back another", async () => {
		const good = await connectorWithKey();
		const bad = await connectorWithKey();
		let calls = 0;
		const environment = {
			...env,
			STREAM: {
				idFromName: (name: string) => ({ name }),
				get: (id: { name: string }) => ({
					applyMessages: async (messages: OperationPart[]) => {
						calls++;
						if (id.name === bad.stream) throw new Error("down");
						return env.STREAM.get(env.STREAM.idFromName(id.name)).applyMessages(messages);
					},
				}),
			},
		} as unknown as Env;
		const messages = deliveries([...queuedRequest(good, [{ a: 1 }]), ...queuedRequest(bad, [{ b: 1 }]), ...queuedRequest(good, [{ a: 2 }])]);
		const result = await consume(messages, environment);
		expect(calls).toBe(2);
		expect(result.explicitAcks.sort()).toEqual([messages[0]?.id, messages[2]?.id].sort());
		expect(result.retryMessages.map((retry) => retry.msgId)).toEqual([messages[1]?.id]);
		expect((await snapshot(good.stream)).items).toHaveLength(2);
	});

	it("holds the parts of a split request until all arrived, then applies them at once", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		const items = Array.from({ length: 3000 }, (_, i) => ({ id: `item-${i}`, pad: "p".repeat(60) }));
		const parts = deliveries(queuedRequest(c, items, { itemKey: "id" }));
		expect(parts.length).toBeGreaterThan(1);
		const [last, ...rest] = [...parts].reverse();
		if (!last) throw new Error("no parts");
		for (const part of rest) {
			await consume([part]);
			expect((await snapshot(c.stream)).items).toHaveLength(0);
			expect((await flushedLogs(c))[0]?.status).toBe("queued");
		}
		// A redelivered part while waiting changes nothing.
		await consume([rest[0] as MessageBatchMessage<OperationPart>]);
		await consume([last]);
		const snap = await snapshot(c.stream);
		expect(snap.items).toHaveLength(3000);
		expect(snap.items.map((item) => item.key)).toEqual(items.map((item) => item.id));
		expect((await flushedLogs(c))[0]).toMatchObject({ status: "processed", items_received: 3000 });
	});

	it("applies last writer wins by edge time: a late older request does not overwrite a newer one", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		const now = Date.now();
		const newer = queuedRequest(c, [{ id: "k", v: "new" }], { itemKey: "id", receivedAt: now });
		const older = queuedRequest(c, [{ id: "k", v: "old" }, { id: "other", v: "old" }], { itemKey: "id", receivedAt: now - 1000 });
		await consume(deliveries(newer));
		await consume(deliveries(older));
		const snap = await snapshot(c.stream);
		const byKey = Object.fromEntries(snap.items.map((item) => [item.key, item.value]));
		expect(byKey).toEqual({ k: { id: "k", v: "new" }, other: { id: "other", v: "old" } });
		expect(snap.seq).toBe(2);
		expect((await flushedLogs(c)).map((entry) => entry.status)).toEqual(["processed", "processed"]);
	});

	it("breaks ties of edge time by request id", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		const at = Date.now();
		const low = queuedRequest(c, [{ id: "k", v: "low" }], { itemKey: "id", receivedAt: at, requestId: `req_${"0".repeat(26)}` });
		const high = queuedRequest(c, [{ id: "k", v: "high" }], { itemKey: "id", receivedAt: at, requestId: `req_${"z".repeat(26)}` });
		await consume(deliveries(high));
		await consume(deliveries(low));
		expect((await snapshot(c.stream)).items.map((item) => item.value.v)).toEqual(["high"]);
	});

	it("consumes what the ingest endpoint queued without help (end to end through the real queue)", async () => {
		const c = await connectorWithKey();
		const { ingest } = await import("../helpers");
		expect((await ingest(c.key, [{ live: true }])).status).toBe(202);
		await eventually(async () => expect((await snapshot(c.stream)).items).toHaveLength(1));
	});
});
