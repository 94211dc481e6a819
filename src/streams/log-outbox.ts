import type { LogRecord } from "../storage/connector-logs";

/** The most entries one D1 write carries. */
export const OUTBOX_FLUSH_LIMIT = 500;

/** A run of pending entries, oldest first, and the last row it covers. */
export interface OutboxBatch {
	records: LogRecord[];
	upTo: number;
}

/**
 * Connector-log entries of the requests the stream decided, stored in the same
 * transaction as the decisions and written to D1 later, many deliveries' worth per
 * write (the transactional outbox pattern). An entry leaves only once D1 has it, so
 * neither a failed D1 write nor an evicted object loses one; a write that D1 got but
 * whose removal here was lost is sent again, which the log's upsert absorbs.
 */
export class LogOutbox {
	constructor(readonly sql: SqlStorage) {}

	/** Stores entries, in one statement however many. */
	add(records: LogRecord[]): void {
		if (records.length === 0) return;
		this.sql.exec("INSERT INTO log_outbox (record) SELECT value FROM json_each(?) ORDER BY key", JSON.stringify(records));
	}

	/** The oldest `limit` pending entries, or null when there are none. */
	pending(limit = OUTBOX_FLUSH_LIMIT): OutboxBatch | null {
		const rows = this.sql.exec<{ id: number; record: string }>("SELECT id, record FROM log_outbox ORDER BY id LIMIT ?", limit).toArray();
		const last = rows.at(-1);
		if (!last) return null;
		return { records: rows.map((row) => JSON.parse(row.record) as LogRecord), upTo: last.id };
	}

	/** Forgets the entries up to `upTo` (D1 has them). Entries added since have higher ids and stay. */
	remove(upTo: number): void {
		this.sql.exec("DELETE FROM log_outbox WHERE id <= ?", upTo);
	}

	/** Whether any entry waits. */
	isEmpty(): boolean {
		return this.sql.exec("SELECT 1 FROM log_outbox LIMIT 1").toArray().length === 0;
	}
}
