import { createExecutionContext, createMessageBatch, getQueueResult, type MessageBatchMessage } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { idempotencyCacheKey } from "../../src/storage/idempotency-keys";
import { DEAD_LETTER_MAX_RETRIES, deadLetterRetryDelaySeconds } from "../../src/services/queue/dead-letter-retry";
import type { OperationPart } from "../../src/model/operation";
import type { StreamObject } from "../../src/stream/stream-object";
import { admin, connectorWithKey, data, logs, snapshot } from "../helpers";
import { queuedRequest } from "../queued-request";

// The dead-letter consumer when D1, a stream object, KV or Queues fail; dead-letters.test.ts covers the rest.

let ids = 0;
const deliveries = (bodies: OperationPart[], attempts = 1): MessageBatchMessage<OperationPart>[] =>
	bodies.map((body) => ({ id: `dlf-${++ids}`, timestamp: new Date(), attempts, body }));

/** Delivers a batch as the queue would; the result also says the delay each retry asked for, which the plugin does not record. */
async function deliver(messages: MessageBatchMessage<unknown>[], queue: string, environment: Env = env) {
	const batch = createMessageBatch(queue, messages);
	const delays = new Map<string, number | undefined>();
	const spied = {
		queue: batch.queue,
		messages: batch.messages.map((message) => ({
			id: message.id,
			timestamp: message.timestamp,
			body: message.body,
			attempts: message.attempts,
			ack: () => message.ack(),
			retry: (options?: QueueRetryOptions) => {
				delays.set(message.id, options?.delaySeconds);
				message.retry(options);
			},
		})),
		ackAll: () => batch.ackAll(),
		retryAll: (options?: QueueRetryOptions) => batch.retryAll(options),
	} as unknown as MessageBatch<unknown>;
	const ctx = createExecutionContext();
	await worker.queue(spied, environment, ctx);
	const result = await getQueueResult(batch, ctx);
	return { ...result, retryMessages: result.retryMessages.map((retry) => ({ msgId: retry.msgId, delaySeconds: delays.get(retry.msgId) })) };
}

const consume = (bodies: OperationPart[], queue = "datapool-ingest") => deliver(deliveries(bodies), queue);

async function replay(body: unknown): Promise<{ request_id: string; status: string; error: string | null }[]> {
	return (await data<{ results: { request_id: string; status: string; error: string | null }[] }>(await admin("/dead-letters/replay", { body }))).results;
}

/** env.DB for the consumer, failing every statement whose SQL `fails` matches, as D1 does while it is down. */
function faultyDb(fails: (sql: string) => boolean): D1Database {
	return new Proxy(env.DB, {
		get(target, property) {
			if (property === "prepare")
				return (sql: string) => {
					if (fails(sql)) throw new Error("D1_ERROR: Network connection lost.");
					return target.prepare(sql);
				};
			const value: unknown = Reflect.get(target, property);
			return typeof value === "function" ? value.bind(target) : value;
		},
	});
}

/** A stream namespace whose objects fail `abandonRequests` while `failing(stream)` says so. */
function flakyStreams(failing: (stream: string) => boolean): DurableObjectNamespace<StreamObject> {
	const names = new Map<string, string>();
	return {
		idFromName: (name: string) => {
			const id = env.STREAM.idFromName(name);
			names.set(id.toString(), name);
			return id;
		},
		get: (id: DurableObjectId) => {
			const stub = env.STREAM.get(id);
			return {
				abandonRequests: async (requestIds: string[], error: string) => {
					if (failing(names.get(id.toString()) ?? "")) throw new Error("stream unavailable");
					return stub.abandonRequests(requestIds, error);
				},
			};
		},
	} as unknown as DurableObjectNamespace<StreamObject>;
}

const deadLetterRows = async (requestIds: string[]) =>
	(
		await env.DB.prepare("SELECT request_id FROM dead_letters WHERE request_id IN (SELECT value FROM json_each(?))")
			.bind(JSON.stringify(requestIds))
			.all()
	).results.length;

describe("the dead-letter consumer under failures", () => {
	it("keeps every message across a D1 outage of several deliveries, retrying with backoff, and stores them once D1 is back", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		const other = await connectorWithKey();
		const bodies = [
			...queuedRequest(c, [{ id: "a", v: 1 }], { itemKey: "id" }),
			...queuedRequest(c, [{ id: "b", v: 1 }], { itemKey: "id" }),
			...queuedRequest(other, [{ v: 1 }]),
		];
		const requestIds = bodies.map((body) => body.request_id);
		const down = { ...env, DB: faultyDb(() => true) };
		for (const attempts of [1, 2, 3, 4, 5]) {
			const messages = deliveries(bodies, attempts);
			const result = await deliver(messages, "datapool-ingest-dlq", down);
			expect(result.ackAll).toBe(false);
			expect(result.explicitAcks).toEqual([]);
			const delay = deadLetterRetryDelaySeconds(attempts);
			expect(result.retryMessages).toEqual(messages.map((message) => ({ msgId: message.id, delaySeconds: delay })));
		}
		expect(await deadLetterRows(requestIds)).toBe(0);
		// The streams were not told to give up before the dead letters were safe.
		await consume(bodies.slice(0, 1));
		expect((await snapshot(c.stream)).items.map((item) => item.key)).toEqual(["a"]);

		const back = deliveries(bodies, 6);
		const result = await deliver(back, "datapool-ingest-dlq");
		expect(result.explicitAcks.sort()).toEqual(back.map((message) => message.id).sort());
		expect(result.retryMessages).toEqual([]);
		expect(await deadLetterRows(requestIds)).toBe(3);
		const [first, second] = requestIds;
		expect((await logs(c.id)).map((entry) => [entry.request_id, entry.status])).toEqual(
			expect.arrayContaining([
				[first, "processed"],
				[second, "failed"],
			]),
		);
		expect((await logs(other.id))[0]).toMatchObject({ status: "failed" });
		expect(await replay({ request_ids: [second, requestIds[2]] })).toEqual([
			{ request_id: second, status: "processed", error: null },
			{ request_id: requestIds[2], status: "processed", error: null },
		]);
		expect((await snapshot(c.stream)).items.map((item) => item.key)).toEqual(["a", "b"]);
		expect((await snapshot(other.stream)).items).toHaveLength(1);
	});

	it("acks a message only once each step of its request is done, retrying the step that failed", async () => {
		const c = await connectorWithKey();
		const steady = await connectorWithKey();
		const bodies = queuedRequest(c, [{ v: 1 }], { idempotencyKey: "order-7" });
		const cacheKey = idempotencyCacheKey(c.id, "order-7");
		await env.IDEMPOTENCY.put(cacheKey, "{}");
		const steadyBodies = queuedRequest(steady, [{ v: 1 }]);
		let failing: "stream" | "kv" | "log" | null = "stream";
		const kv = new Proxy(env.IDEMPOTENCY, {
			get(target, property) {
				if (property === "delete" && failing === "kv") return async () => Promise.reject(new Error("KV unavailable"));
				const value: unknown = Reflect.get(target, property);
				return typeof value === "function" ? value.bind(target) : value;
			},
		});
		const environment: Env = {
			...env,
			STREAM: flakyStreams((stream) => failing === "stream" && stream === c.stream),
			IDEMPOTENCY: kv,
			DB: faultyDb((sql) => failing === "log" && sql.includes("connector_logs")),
		};

		// The stream cannot give the request up: retried; another stream's request is not held back.
		const [message, steadyMessage] = deliveries([...bodies, ...steadyBodies], 1);
		if (!message || !steadyMessage) throw new Error("no messages");
		let result = await deliver([message, steadyMessage], "datapool-ingest-dlq", environment);
		expect(result.explicitAcks).toEqual([steadyMessage.id]);
		expect(result.retryMessages).toEqual([{ msgId: message.id, delaySeconds: deadLetterRetryDelaySeconds(1) }]);
		expect(await deadLetterRows([message.body.request_id])).toBe(1);

		for (const [attempts, step] of [
			[2, "kv"],
			[3, "log"],
		] as const) {
			failing = step;
			result = await deliver([{ ...message, attempts }], "datapool-ingest-dlq", environment);
			expect(result.explicitAcks).toEqual([]);
			expect(result.retryMessages).toEqual([{ msgId: message.id, delaySeconds: deadLetterRetryDelaySeconds(attempts) }]);
			expect(await logs(c.id)).toEqual([]);
		}
		// KV went through on the third delivery, before the log writes failed.
		expect(await env.IDEMPOTENCY.get(cacheKey)).toBeNull();

		failing = null;
		result = await deliver([{ ...message, attempts: 4 }], "datapool-ingest-dlq", environment);
		expect(result.explicitAcks).toEqual([message.id]);
		expect((await logs(c.id))[0]).toMatchObject({ status: "failed" });
		expect(await replay({ request_ids: [message.body.request_id] })).toEqual([
			{ request_id: message.body.request_id, status: "processed", error: null },
		]);
	});

	it("sends a message it still cannot keep to the queue anew near its last delivery, instead of letting the queue delete it", async () => {
		const c = await connectorWithKey();
		const bodies = queuedRequest(c, [{ v: 1 }]);
		const sent: { body: unknown; options: QueueSendOptions | undefined }[] = [];
		let sendFails = true;
		const queue = {
			send: async (body: unknown, options?: QueueSendOptions) => {
				if (sendFails) throw new Error("Queues unavailable");
				sent.push({ body, options });
			},
		} as unknown as Queue;
		const down = { ...env, DB: faultyDb(() => true), DEAD_LETTER_QUEUE: queue };

		const [last] = deliveries(bodies, DEAD_LETTER_MAX_RETRIES);
		if (!last) throw new Error("no message");
		// The send fails too: retried, so the last delivery can send it.
		let result = await deliver([last], "datapool-ingest-dlq", down);
		expect(result.retryMessages).toEqual([{ msgId: last.id, delaySeconds: deadLetterRetryDelaySeconds(DEAD_LETTER_MAX_RETRIES) }]);
		sendFails = false;
		result = await deliver([{ ...last, attempts: DEAD_LETTER_MAX_RETRIES + 1 }], "datapool-ingest-dlq", down);
		expect(result.explicitAcks).toEqual([last.id]);
		expect(result.retryMessages).toEqual([]);
		expect(sent).toEqual([{ body: last.body, options: expect.objectContaining({ delaySeconds: 300 }) }]);

		// Delivered anew once D1 is back, it is kept like any dead letter.
		result = await deliver([{ ...last, id: "anew", attempts: 1, body: sent[0]?.body }], "datapool-ingest-dlq");
		expect(result.explicitAcks).toEqual(["anew"]);
		expect(await deadLetterRows([last.body.request_id])).toBe(1);
		expect((await logs(c.id))[0]).toMatchObject({ status: "failed" });
	});

	it("acks a malformed message: nothing could ever replay it", async () => {
		const result = await deliver([{ id: "bad-dl", timestamp: new Date(), attempts: 1, body: { hello: "world" } }], "datapool-ingest-dlq");
		expect(result.explicitAcks).toEqual(["bad-dl"]);
	});
});
