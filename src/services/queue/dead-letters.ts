import { log, logError } from "../../model/log";
import { forgetFailedKeys } from "../../storage/idempotency-keys";
import { recordRequests } from "../../storage/connector-logs";
import { deadLetterChunks, markReplayed, storeDeadLetters } from "../../storage/dead-letters";
import { streamStub } from "../../stream/stub";
import { DEAD_LETTER_RETRY_MAX_SECONDS, deadLetterRetryDelaySeconds, resendContentType, sendsAnew } from "./dead-letter-retry";
import { OperationPart } from "../../model/operation";
import { logRecord } from "../../model/log-record";
import { groupBy } from "./outcomes";

interface Delivery {
	message: Message<unknown>;
	body: OperationPart;
}

const GIVEN_UP = "Delivery failed after every retry (dead-lettered).";

/**
 * The dead-letter queue's consumer: the requests of messages that exhausted their
 * retries can never complete, so their streams give up on them (releasing their
 * idempotency keys) and their log entries end `failed`, keeping the error recorded
 * by the last attempt. A message is acked only once it is stored in D1 (for an
 * admin's replay, see docs/dead-letters.md) and its request's every step is done;
 * anything else comes again after a delay, and is never dropped (see `later`).
 */
export async function consumeDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
	const deliveries: Delivery[] = [];
	for (const message of batch.messages) {
		const parsed = OperationPart.safeParse(message.body);
		if (parsed.success) deliveries.push({ message, body: parsed.data });
		else {
			// The ingest consumer acks malformed messages itself, so only a foreign producer puts one here;
			// without a request id, stream and connector nothing could ever replay it.
			logError("malformed dead letter dropped", parsed.error, { message_id: message.id });
			message.ack();
		}
	}

	const stored = await storeAll(env.DB, deliveries.map((delivery) => delivery.body));
	// A request is given up only once all of its messages in this batch are kept, so a replay finds them.
	const unstored = new Set(deliveries.filter((delivery) => !stored.has(delivery.body)).map((delivery) => delivery.body.request_id));
	const ready = deliveries.filter((delivery) => !unstored.has(delivery.body.request_id));
	const done = new Set<Delivery>();
	await Promise.all(
		[...groupBy(ready, (delivery) => delivery.body.stream)].map(async ([stream, group]) => {
			try {
				await giveUp(env, stream, group.map((delivery) => delivery.body));
				for (const delivery of group) done.add(delivery);
			} catch (error) {
				logError("dead letters kept but their requests not given up; retried", error, { stream, messages: group.length });
			}
		}),
	);

	for (const { message } of done) message.ack();
	const pending = deliveries.filter((delivery) => !done.has(delivery));
	await Promise.all(pending.map((delivery) => later(env, delivery)));
	if (pending.length > 0) log("warn", "dead-letter batch partly retried", { messages: batch.messages.length, acked: done.size, retried: pending.length });
}

/** Stores the messages in bounded D1 batches, in order; returns those stored (up to the first batch that failed). */
async function storeAll(db: D1Database, bodies: OperationPart[]): Promise<Set<OperationPart>> {
	const stored = new Set<OperationPart>();
	for (const chunk of deadLetterChunks(bodies)) {
		try {
			await storeDeadLetters(db, chunk);
		} catch (error) {
			// D1 is most likely down: the next batches would fail too, each after its own wait.
			logError("dead letters not stored; retried", error, { messages: bodies.length - stored.size });
			break;
		}
		for (const body of chunk) stored.add(body);
	}
	return stored;
}

/**
 * Gives a stream's dead-lettered requests up, and records how they ended. Every step
 * is idempotent (the stream answers a request decided before with that decision; the
 * D1 writes are upserts; KV deletes), so a retry after a step failed is harmless.
 */
async function giveUp(env: Env, stream: string, bodies: OperationPart[]): Promise<void> {
	const ids = [...new Set(bodies.map((body) => body.request_id))];
	const outcomes = await streamStub(env, stream).abandonRequests(ids, GIVEN_UP);
	const envelopes = new Map(bodies.map((body) => [body.request_id, body]));
	const records = outcomes.flatMap((outcome) => {
		const envelope = envelopes.get(outcome.request_id);
		return envelope ? [logRecord(envelope, outcome.status, outcome.error)] : [];
	});
	const failed = records.filter((record) => record.status === "failed");
	// KV first: it does not depend on D1, so clients may retry with their keys even while D1 is down.
	await forgetFailedKeys(env, failed);
	const settled = records.filter((record) => record.status !== "failed");
	// A failed entry keeps the error it failed with (the last attempt's), over the dead-letter notice.
	await recordRequests(env.DB, records);
	// Their streams had decided them after all (a stale redelivery): nothing is left to replay.
	await markReplayed(env.DB, settled.map((record) => record.request_id));
}

/**
 * A message not done yet comes again after a delay. A retry of the queue's last delivery
 * would delete it (the dead-letter queue has no dead-letter queue of its own), so near
 * the end it is sent to this queue anew, with a fresh count of attempts, and then acked.
 */
async function later(env: Env, { message, body }: Delivery): Promise<void> {
	const delaySeconds = deadLetterRetryDelaySeconds(message.attempts);
	if (sendsAnew(message.attempts)) {
		try {
			await env.DEAD_LETTER_QUEUE.send(body, { contentType: resendContentType(body), delaySeconds: DEAD_LETTER_RETRY_MAX_SECONDS });
			message.ack();
			return;
		} catch (error) {
			// Queues refuses too: the retry is the next chance to send, or, on the last delivery, the end.
			logError("dead letter not sent anew", error, { message_id: message.id, request_id: body.request_id, attempts: message.attempts });
		}
	}
	message.retry({ delaySeconds });
}
