import { config } from "../core/config";
import { log, logError } from "../core/log";
import { forgetFailedKeys } from "../ingest/idempotency";
import { type LogRecord, recordOutcomes } from "../storage/connector-logs";
import type { Fault } from "../streams/fault-switch";
import { streamStub } from "../streams/stub";
import { IngestMessage } from "./messages";
import { groupBy, logRecord, retryDelaySeconds } from "./outcomes";

interface Delivery {
	message: Message<unknown>;
	body: IngestMessage;
}

/**
 * The ingest queue's consumer. One RPC per stream per batch; a message is acked
 * only once its stream has decided it and the connector log says so (one D1 batch
 * per queue batch). A stream that fails has its messages retried with backoff; the
 * last failed attempt records the error, and the message goes to the dead-letter queue.
 */
export async function consumeIngest(batch: MessageBatch<unknown>, env: Env): Promise<void> {
	const { QUEUE_MAX_RETRIES: maxRetries, QUEUE_RETRY_MAX_DELAY_SECONDS: maxDelay, FAULT_INJECTION: injectFaults } = config(env);
	const deliveries: Delivery[] = [];
	for (const message of batch.messages) {
		const parsed = IngestMessage.safeParse(message.body);
		if (parsed.success) deliveries.push({ message, body: parsed.data });
		else {
			// Nothing can ever apply it, and retrying would only delay the dead-letter queue.
			logError("malformed queue message dropped", parsed.error, { message_id: message.id });
			message.ack();
		}
	}

	const records: LogRecord[] = [];
	// Requests the streams decided, as opposed to deliveries that failed and will be retried.
	const settled: LogRecord[] = [];
	const decided: Delivery[] = [];
	const failed: Delivery[] = [];
	const faults: Fault[] = [];
	await Promise.all(
		[...groupBy(deliveries, (delivery) => delivery.body.stream)].map(async ([stream, group]) => {
			try {
				const stub = streamStub(env, stream);
				const fault = injectFaults ? await stub.takeFault("consumer") : null;
				const outcomes = await stub.applyMessages(group.map((delivery) => delivery.body));
				const envelopes = new Map(group.map((delivery) => [delivery.body.request_id, delivery.body]));
				for (const outcome of outcomes) {
					const envelope = envelopes.get(outcome.request_id);
					if (envelope) settled.push(logRecord(envelope, outcome.status, outcome.error));
				}
				if (fault?.kind === "redeliver") failed.push(...group);
				else decided.push(...group);
				if (fault) faults.push(fault);
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
		await recordOutcomes(env.DB, [...settled, ...records]);
		// A failed last attempt keeps its key until the dead-letter consumer has the stream release it.
		await forgetFailedKeys(env, settled);
	} catch (error) {
		// The stream remembers what it decided, so a redelivery only rewrites the log.
		logError("connector logs not written; batch will be redelivered", error, { messages: decided.length });
		failed.push(...decided.splice(0));
	}
	// After the streams applied and the logs were written: the whole batch comes again, as after a crash.
	if (faults.some((fault) => fault.kind === "throw")) throw new Error("Injected fault: the consumer failed before acking.");
	for (const { message } of decided) message.ack();
	for (const { message } of failed) message.retry({ delaySeconds: retryDelaySeconds(message.attempts, maxDelay) });
	// A batch that went well leaves its trace in the connector logs; a console line per batch cost a tenth
	// of the isolate's time under load (bench:profile). Only batches with retries are worth a line.
	if (failed.length > 0) log("warn", "queue batch partly retried", { messages: batch.messages.length, acked: decided.length, retried: failed.length });
}
