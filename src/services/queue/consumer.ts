import { config } from "../../model/config";
import { log, logError } from "../../model/log";
import { type LogRecord, recordRequests } from "../../storage/connector-logs";
import { streamStub } from "../../stream/stub";
import { type OperationPart, parseOperationPart } from "../../model/operation";
import { logRecord } from "../../model/log-record";
import { groupBy, retryDelaySeconds } from "./outcomes";

interface Delivery {
	message: Message<unknown>;
	body: OperationPart;
}

/**
 * The ingest queue's consumer. One RPC per stream per batch; a message is acked once
 * its stream has decided it: the stream stored the request's log entry in the same
 * transaction and writes it to D1 itself (its log outbox), many batches per write. A
 * stream that fails has its messages retried with backoff and the attempt's error
 * logged here; the last failed attempt records it as `failed`, and the message goes
 * to the dead-letter queue.
 */
export async function consumeIngest(batch: MessageBatch<unknown>, env: Env): Promise<void> {
	const { QUEUE_MAX_RETRIES: maxRetries, QUEUE_RETRY_MAX_DELAY_SECONDS: maxDelay } = config(env);
	const deliveries: Delivery[] = [];
	for (const message of batch.messages) {
		const parsed = parseOperationPart(message.body);
		if (parsed.success) deliveries.push({ message, body: parsed.data });
		else {
			// Nothing can ever apply it, and retrying would only delay the dead-letter queue.
			logError("malformed queue message dropped", parsed.error, { message_id: message.id });
			message.ack();
		}
	}

	// The attempts that failed, for the connector log.
	const records: LogRecord[] = [];
	const decided: Delivery[] = [];
	const failed: Delivery[] = [];
	await Promise.all(
		[...groupBy(deliveries, (delivery) => delivery.body.stream)].map(async ([stream, group]) => {
			try {
				await streamStub(env, stream).applyMessages(group.map((delivery) => delivery.body));
				decided.push(...group);
			} catch (error) {
				const reason = error instanceof Error ? error.message : String(error);
				logError("stream apply failed; messages will be retried", error, { stream, messages: group.length });
				for (const delivery of group) {
					const last = delivery.message.attempts > maxRetries;
					const note = `Attempt ${delivery.message.attempts} failed: ${reason}`;
					records.push(logRecord(delivery.body, last ? "failed" : "queued", note));
					failed.push(delivery);
				}
			}
		}),
	);

	try {
		// Only failed attempts: a decided request's entry is the stream's to write.
		await recordRequests(env.DB, records);
	} catch (error) {
		// Their messages are retried anyway; the next attempt logs again.
		logError("connector log of failed attempts not written", error, { messages: records.length });
	}
	for (const { message } of decided) message.ack();
	for (const { message } of failed) message.retry({ delaySeconds: retryDelaySeconds(message.attempts, maxDelay) });
	// A batch that went well leaves its trace in the connector logs; a console line per batch cost a tenth
	// of the isolate's time under load (bench:profile). Only batches with retries are worth a line.
	if (failed.length > 0) log("warn", "queue batch partly retried", { messages: batch.messages.length, acked: decided.length, retried: failed.length });
}
