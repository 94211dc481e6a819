import { z } from "@hono/zod-openapi";
import { LOG_OPERATIONS, LOG_STATUSES, type LogStatus } from "./log-status";
import type { RequestEnvelope } from "./operation";

/** A connector log entry as the API shows it. */
export const LogEntry = z
	.object({
		request_id: z.string(),
		received_at: z.string().openapi({ format: "date-time" }),
		items_received: z.number().int(),
		status: z.enum(LOG_STATUSES),
		error: z.string().nullable(),
		idempotency_key: z.string().nullable(),
		http_status: z.number().int().nullable().openapi({ description: "The HTTP status the request was answered with, when known at the edge." }),
		operation: z.enum(LOG_OPERATIONS).openapi({ description: "What the request's items did: its X-Ingest-Mode (upsert, delete or replace)." }),
		count: z.number().int().min(1).openapi({
			description:
				"How many requests the entry stands for: 1, except for rate-limited (429) requests, which are logged aggregated: one entry per connector, per isolate and per 10 s window, counting every request refused in it.",
		}),
		window_ends_at: z.string().nullable().openapi({
			format: "date-time",
			description: "The end of an aggregated rate-limited window (its `received_at` is the first refused request's); null otherwise.",
		}),
	})
	.openapi("LogEntry");
export type LogEntry = z.infer<typeof LogEntry>;

/** A log entry of one request (never an aggregate), plus the connector it belongs to: what writers record. */
export type LogRecord = Omit<LogEntry, "count" | "window_ends_at"> & { connector_id: string };

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
