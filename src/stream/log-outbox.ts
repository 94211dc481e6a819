import type { LogRecord } from "../model/log-record";
import { jsonChunks } from "./work-budget";

/** The most entries one D1 write carries. */
export const OUTBOX_FLUSH_LIMIT = 500;
/** The most JSON one D1 write carries: its one parameter stays far below D1's 2 MB for a value. */
export const OUTBOX_FLUSH_BYTES = 512 * 1024;

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

	/** Stores entries, in order: one statement per 256 KB of them. */
	add(records: LogRecord[]): void {
		for (const rows of jsonChunks(records)) {
			this.sql.exec("INSERT INTO log_outbox (record) SELECT value FROM json_each(?) ORDER BY key", rows);
		}
	}

	/** The oldest pending entries, at most `limit` of them and about `maxBytes` of JSON; null when there are none. */
	pending(limit = OUTBOX_FLUSH_LIMIT, maxBytes = OUTBOX_FLUSH_BYTES): OutboxBatch | null {
		const records: LogRecord[] = [];
		let upTo = 0;
		let bytes = 0;
		for (const row of this.sql.exec<{ id: number; record: string }>("SELECT id, record FROM log_outbox ORDER BY id LIMIT ?", limit)) {
			bytes += row.record.length;
			// The first entry goes whatever its size: entries are small, and one must always make progress.
			if (records.length > 0 && bytes > maxBytes) break;
			records.push(JSON.parse(row.record) as LogRecord);
			upTo = row.id;
		}
		return records.length > 0 ? { records, upTo } : null;
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
