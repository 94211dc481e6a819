import { logError } from "../core/log";
import { forgetFailedKeys } from "../ingest/idempotency";
import { markFailed, recordOutcomes } from "../storage/connector-logs";
import { markReplayed, storeDeadLetters } from "../storage/dead-letters";
import { streamStub } from "../streams/stub";
import { IngestMessage } from "./messages";
import { groupBy, logRecord } from "./outcomes";

/**
 * The dead-letter queue's consumer: the requests of messages that exhausted their
 * retries can never complete, so their streams give up on them (releasing their
 * idempotency keys) and their log entries end `failed`, keeping the error recorded
 * by the last attempt. The messages are stored in D1 first, so that an admin can
 * replay them (see docs/dead-letters.md); if that fails, the batch is retried.
 */
export async function consumeDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
	const bodies: IngestMessage[] = [];
	for (const message of batch.messages) {
		const parsed = IngestMessage.safeParse(message.body);
		if (parsed.success) bodies.push(parsed.data);
		else logError("malformed dead letter dropped", parsed.error, { message_id: message.id });
	}
	await storeDeadLetters(env.DB, bodies);
	for (const [stream, group] of groupBy(bodies, (body) => body.stream)) {
		const ids = [...new Set(group.map((body) => body.request_id))];
		const error = "Delivery failed after every retry (dead-lettered).";
		const outcomes = await streamStub(env, stream).abandonRequests(ids, error);
		const envelopes = new Map(group.map((body) => [body.request_id, body]));
		const records = outcomes.flatMap((outcome) => {
			const envelope = envelopes.get(outcome.request_id);
			return envelope ? [logRecord(envelope, outcome.status, outcome.error)] : [];
		});
		const settled = records.filter((record) => record.status !== "failed");
		await recordOutcomes(env.DB, settled);
		// Their streams had decided them after all (a stale redelivery): nothing is left to replay.
		await markReplayed(env.DB, settled.map((record) => record.request_id));
		const failed = records.filter((record) => record.status === "failed");
		await markFailed(env.DB, failed);
		await forgetFailedKeys(env, failed);
	}
	batch.ackAll();
}
