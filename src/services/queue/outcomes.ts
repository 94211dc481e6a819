import type { LogRecord, LogStatus } from "../storage/connector-logs";
import type { RequestEnvelope } from "./messages";

/** The log record of a request, from the envelope its messages carry. */
export function logRecord(envelope: RequestEnvelope, status: LogStatus, error: string | null): LogRecord {
	return {
		request_id: envelope.request_id,
		connector_id: envelope.connector_id,
		received_at: new Date(envelope.received_at).toISOString(),
		items_received: envelope.items_received,
		status,
		error,
		idempotency_key: envelope.idempotency_key,
		http_status: 202,
		operation: envelope.mode,
	};
}

/** Groups values by a key, keeping first-seen order. */
export function groupBy<T>(values: T[], keyOf: (value: T) => string): Map<string, T[]> {
	const groups = new Map<string, T[]>();
	for (const value of values) {
		const key = keyOf(value);
		const group = groups.get(key);
		if (group) group.push(value);
		else groups.set(key, [value]);
	}
	return groups;
}

/** Retry delay for a failed delivery: exponential from 2 s, capped at `maxSeconds` (QUEUE_RETRY_MAX_DELAY_SECONDS, 5 minutes). */
export function retryDelaySeconds(attempts: number, maxSeconds = 300): number {
	return Math.min(maxSeconds, 2 ** Math.max(1, attempts));
}
