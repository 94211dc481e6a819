import type { LogEntry, LogRecord } from "../model/log-record";
import type { LogStatus } from "../model/log-status";

export type { LogEntry, LogRecord } from "../model/log-record";
export type { LogOperation, LogStatus } from "../model/log-status";

/** The aggregated entry of the requests one isolate refused with 429 for a connector in one window. */
export interface RateLimitedWindow {
	/** The first refused request of the window. */
	request_id: string;
	connector_id: string;
	received_at: string;
	window_ends_at: string;
	count: number;
	error: string;
}

/** A record's values in the column order recordRequests inserts them (without updated_at). */
function recordValues(record: LogRecord): (string | number | null)[] {
	return [
		record.request_id,
		record.connector_id,
		record.received_at,
		record.items_received,
		record.status,
		record.error,
		record.idempotency_key,
		record.http_status,
		record.operation,
	];
}

/**
 * Writes a rate-limited window's entry with its count so far. The count is absolute (one
 * isolate counts each window), so a retried or late write never counts a request twice
 * and never lowers a count already written.
 */
export async function upsertRateLimitedWindow(db: D1Database, window: RateLimitedWindow): Promise<void> {
	await db
		.prepare(
			`INSERT INTO connector_logs
				(request_id, connector_id, received_at, items_received, status, error, idempotency_key, http_status, updated_at,
				 request_count, window_ends_at)
			 VALUES (?, ?, ?, 0, 'rejected', ?, NULL, 429, ?, ?, ?)
			 ON CONFLICT (request_id) DO UPDATE SET
				request_count = excluded.request_count, error = excluded.error, updated_at = excluded.updated_at
			 WHERE excluded.request_count > connector_logs.request_count`,
		)
		.bind(
			window.request_id,
			window.connector_id,
			window.received_at,
			window.error,
			new Date().toISOString(),
			window.count,
			window.window_ends_at,
		)
		.run();
}

/**
 * The one way a request's log entry is written and moves through its lifecycle
 * (`LOG_TRANSITIONS` in model/log-status.ts), whoever writes it: the edge (rejected,
 * duplicate), the stream's log outbox (queued, processed, duplicate, rejected, failed),
 * the consumer (a failed attempt), the dead-letter consumer and an admin's replay. One
 * statement however many entries (the rows travel as one JSON parameter); later rows of
 * the same request win. An entry never moves back to `queued`, and `processed`,
 * `duplicate` and `rejected` are final, so a late write cannot undo a later outcome. A
 * failed entry keeps the first error it failed with (the real cause, say the last
 * attempt's, over the dead-letter notice that follows it). A deleted connector's log is
 * gone for good: entries for it are not written.
 */
export async function recordRequests(db: D1Database, records: LogRecord[]): Promise<void> {
	if (records.length === 0) return;
	const now = new Date().toISOString();
	await db
		.prepare(
			`INSERT INTO connector_logs
				(request_id, connector_id, received_at, items_received, status, error, idempotency_key, http_status, operation, updated_at)
			 SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6, value ->> 7, value ->> 8, ?
			 FROM json_each(?)
			 WHERE EXISTS (SELECT 1 FROM connectors WHERE connectors.id = value ->> 1) ORDER BY key
			 ON CONFLICT (request_id) DO UPDATE SET
				status = excluded.status,
				error = CASE WHEN connector_logs.status = 'failed' AND excluded.status = 'failed'
					THEN COALESCE(connector_logs.error, excluded.error) ELSE excluded.error END,
				updated_at = excluded.updated_at
			 WHERE connector_logs.status = 'queued' OR (connector_logs.status = 'failed' AND excluded.status <> 'queued')`,
		)
		.bind(now, JSON.stringify(records.map(recordValues)))
		.run();
}

/** A page of a connector's log, newest first, after the `(received_at, request_id)` cursor position. */
export async function listLogs(
	db: D1Database,
	connectorId: string,
	options: { status?: LogStatus; limit: number; after?: { received_at: string; request_id: string } },
): Promise<LogEntry[]> {
	const where = ["connector_id = ?"];
	const values: (string | number)[] = [connectorId];
	if (options.status) {
		where.push("status = ?");
		values.push(options.status);
	}
	if (options.after) {
		where.push("(received_at < ? OR (received_at = ? AND request_id < ?))");
		values.push(options.after.received_at, options.after.received_at, options.after.request_id);
	}
	const { results } = await db
		.prepare(
			`SELECT request_id, received_at, items_received, status, error, idempotency_key, http_status, operation,
			        request_count AS count, window_ends_at
			 FROM connector_logs WHERE ${where.join(" AND ")}
			 ORDER BY received_at DESC, request_id DESC LIMIT ?`,
		)
		.bind(...values, options.limit)
		.all<LogEntry>();
	return results;
}

/** How many log entries one purge statement deletes at most. */
export const PURGE_PAGE_ROWS = 5_000;
/** How many purge statements one purge runs at most; a larger backlog is left to the next run. */
export const PURGE_MAX_PAGES = 200;

/**
 * Deletes log entries received before `before`, oldest first, one page of `pageRows` per statement,
 * so no statement runs long: D1 runs one query at a time per database (a day of logs in one DELETE
 * would hold it for as long as that takes, and past D1's 30 s a statement is cancelled). Stops after
 * `maxPages` pages; returns how many entries it deleted and whether some are left.
 */
export async function purgeLogs(
	db: D1Database,
	before: string,
	{ pageRows = PURGE_PAGE_ROWS, maxPages = PURGE_MAX_PAGES }: { pageRows?: number; maxPages?: number } = {},
): Promise<{ deleted: number; more: boolean }> {
	const page = db.prepare(
		"DELETE FROM connector_logs WHERE rowid IN (SELECT rowid FROM connector_logs WHERE received_at < ? ORDER BY received_at LIMIT ?)",
	);
	let deleted = 0;
	for (let pages = 0; pages < maxPages; pages++) {
		const changes = (await page.bind(before, pageRows).run()).meta.changes;
		deleted += changes;
		if (changes < pageRows) return { deleted, more: false };
	}
	return { deleted, more: true };
}

/** The statement that deletes the log entries of connectors (ids as a JSON list). */
export function deleteLogsOf(db: D1Database, connectorIdList: string): D1PreparedStatement {
	return db.prepare("DELETE FROM connector_logs WHERE connector_id IN (SELECT value FROM json_each(?))").bind(connectorIdList);
}
