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

const INSERT = `INSERT INTO connector_logs
	(request_id, connector_id, received_at, items_received, status, error, idempotency_key, http_status, operation, updated_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/** A record's values in the column order of INSERT (without updated_at). */
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

function bindRecord(statement: D1PreparedStatement, record: LogRecord, now: string): D1PreparedStatement {
	return statement.bind(...recordValues(record), now);
}

/** Writes the log entry of a request answered at the edge (rejected, or a replayed duplicate). */
export async function insertLog(db: D1Database, record: LogRecord): Promise<void> {
	await bindRecord(db.prepare(`${INSERT} ON CONFLICT (request_id) DO NOTHING`), record, new Date().toISOString()).run();
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
 * Records what the streams decided about requests, in one statement however many
 * (the rows travel as one JSON parameter). `processed`, `duplicate` and `rejected` are final;
 * `queued` and `failed` can still change (a later part arrives, an admin replays a dead
 * letter), but never back to `queued`: entries written late (the stream's log outbox, a
 * consumer retry) cannot undo a later outcome. Later rows of the same request win.
 */
export async function recordOutcomes(db: D1Database, records: LogRecord[]): Promise<void> {
	if (records.length === 0) return;
	const now = new Date().toISOString();
	const rows = records.map(recordValues);
	await db
		.prepare(
			`INSERT INTO connector_logs
				(request_id, connector_id, received_at, items_received, status, error, idempotency_key, http_status, operation, updated_at)
			 SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6, value ->> 7, value ->> 8, ?
			 FROM json_each(?)
			 -- A deleted connector's log is gone for good: entries decided after it went are not written.
			 WHERE EXISTS (SELECT 1 FROM connectors WHERE connectors.id = value ->> 1) ORDER BY key
			 ON CONFLICT (request_id) DO UPDATE SET
				status = excluded.status, error = excluded.error, updated_at = excluded.updated_at
			 WHERE connector_logs.status = 'queued' OR (connector_logs.status = 'failed' AND excluded.status <> 'queued')`,
		)
		.bind(now, JSON.stringify(rows))
		.run();
}

/**
 * Records requests as failed unless they already ended well. An error recorded
 * earlier (the real cause, from the last attempt) is kept over the new one.
 */
export async function markFailed(db: D1Database, records: LogRecord[]): Promise<void> {
	if (records.length === 0) return;
	const now = new Date().toISOString();
	const upsert = db.prepare(
		`${INSERT} ON CONFLICT (request_id) DO UPDATE SET
			status = 'failed', error = COALESCE(connector_logs.error, excluded.error), updated_at = excluded.updated_at
		 WHERE connector_logs.status IN ('queued', 'failed')`,
	);
	await db.batch(records.map((record) => bindRecord(upsert, { ...record, status: "failed" }, now)));
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

/** Deletes log entries received before `before`; returns how many. */
export async function purgeLogs(db: D1Database, before: string): Promise<number> {
	const result = await db.prepare("DELETE FROM connector_logs WHERE received_at < ?").bind(before).run();
	return result.meta.changes;
}

/** Rewrites the outcome of requests that were replayed, unless their entry already ended well. */
export async function recordReplays(db: D1Database, outcomes: { request_id: string; status: LogStatus; error: string | null }[]): Promise<void> {
	if (outcomes.length === 0) return;
	const now = new Date().toISOString();
	const update = db.prepare(
		"UPDATE connector_logs SET status = ?, error = ?, updated_at = ? WHERE request_id = ? AND status IN ('queued', 'failed')",
	);
	await db.batch(outcomes.map((outcome) => update.bind(outcome.status, outcome.error, now, outcome.request_id)));
}

/** The statement that deletes the log entries of connectors (ids as a JSON list). */
export function deleteLogsOf(db: D1Database, connectorIdList: string): D1PreparedStatement {
	return db.prepare("DELETE FROM connector_logs WHERE connector_id IN (SELECT value FROM json_each(?))").bind(connectorIdList);
}
