import type { ParsedItem } from "../ingest/payload";
import { Changelog } from "./changelog";
import type { StreamItem } from "./item-reader";
import { jsonChunks } from "./work-budget";

/** When and by which request a write was made at the edge: the last-writer-wins order. */
export interface WriteStamp {
	at: number;
	requestId: string;
}

/** What one applied batch changed: the last write per key in seq order, and the keys removed by the cap. */
export interface AppliedChanges {
	from: number;
	to: number;
	items: StreamItem[];
	removed: string[];
}

/** How much a stream may hold: items, and UTF-8 bytes of their keys and values. */
export interface StreamCaps {
	maxItems: number;
	maxBytes: number;
}

/** Rows the trim reads per statement while removing the oldest items. */
const TRIM_PAGE = 1000;

/** A point to return to when one request's writes are undone by its savepoint. */
export interface BatchMark {
	seq: number;
	undo: number;
	changes: number;
}

/**
 * The writes of one delivery, inside the caller's transaction. Seqs are handed out
 * in apply order and every one is logged in the changelog; `finish` stores the
 * counters and the changelog rows (one statement each, however many writes: in
 * workerd every statement costs tens of µs), enforces the item cap and returns the
 * coalesced changes.
 */
export class ItemBatch {
	readonly #sql: SqlStorage;
	readonly #changelog: Changelog;
	readonly #now: number;
	readonly #startSeq: number;
	#seq: number;
	#count: number;
	readonly #changed = new Map<string, StreamItem>();
	// The entries `#changed` held before each write, so a request's writes can be undone alone.
	readonly #undo: [string, StreamItem | undefined][] = [];
	// The changelog rows of the batch, [seq, key, removed], written by `finish`.
	readonly #changes: [number, string, 0 | 1][] = [];

	constructor(sql: SqlStorage, now = Date.now()) {
		this.#sql = sql;
		this.#changelog = new Changelog(sql);
		this.#now = now;
		const meta = sql
			.exec<{ seq: number; count: number }>(
				"SELECT (SELECT value FROM meta WHERE name = 'seq') AS seq, (SELECT value FROM meta WHERE name = 'item_count') AS count",
			)
			.one();
		this.#startSeq = meta.seq;
		this.#seq = meta.seq;
		this.#count = meta.count;
	}

	/**
	 * Applies a request's items. A keyed item replaces the stored one unless that one
	 * was written by a later request (edge time, then request id); keyless items are
	 * appended under `<request id>:<index>`. Returns how many items were written.
	 */
	write(items: ParsedItem[], stamp: WriteStamp): number {
		const updatedAt = new Date(stamp.at).toISOString();
		let written = 0;
		items.forEach((item, index) => {
			const key = item.key ?? `${stamp.requestId}:${index}`;
			const seq = this.#seq + 1;
			// One statement decides and writes: the update happens only if this write is not older
			// (edge time, then request id) than the stored one. (RETURNING, to tell an insert from an
			// update here, cost more than the SELECT it replaced; `finish` counts the inserts at once.)
			// A keyed write never replaces a keyless row, nor a keyless one a keyed row: the two key spaces stay apart.
			// The size (UTF-8 bytes of key and value) feeds the stream's byte count through the items_bytes triggers.
			const { rowsWritten } = this.#sql.exec(
				`INSERT INTO items (key, value, seq, updated_at, stamp_at, stamp_request, keyless, created_seq, size)
				 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?3, length(CAST(?1 AS BLOB)) + length(CAST(?2 AS BLOB)))
				 ON CONFLICT (key) DO UPDATE SET value = excluded.value, seq = excluded.seq, updated_at = excluded.updated_at,
				 stamp_at = excluded.stamp_at, stamp_request = excluded.stamp_request, size = excluded.size
				 WHERE items.keyless = excluded.keyless
				   AND (excluded.stamp_at > items.stamp_at
				    OR (excluded.stamp_at = items.stamp_at AND excluded.stamp_request >= items.stamp_request))`,
				key,
				JSON.stringify(item.value),
				seq,
				updatedAt,
				stamp.at,
				stamp.requestId,
				item.key === null ? 1 : 0,
			);
			if (rowsWritten === 0) return;
			this.#seq = seq;
			this.#changes.push([seq, key, 0]);
			this.#undo.push([key, this.#changed.get(key)]);
			// Re-inserting keeps the map in seq order: it is the order changes are sent in.
			this.#changed.delete(key);
			this.#changed.set(key, { key, value: item.value, seq, updated_at: updatedAt });
			written++;
		});
		return written;
	}

	/** Where the batch stands, to `rollback` to if a request's savepoint is rolled back. */
	mark(): BatchMark {
		return { seq: this.#seq, undo: this.#undo.length, changes: this.#changes.length };
	}

	/** Forgets the writes made since `mark` (the caller rolled back their SQL). */
	rollback(mark: BatchMark): void {
		this.#seq = mark.seq;
		this.#changes.length = mark.changes;
		while (this.#undo.length > mark.undo) {
			const [key, previous] = this.#undo.pop() as [string, StreamItem | undefined];
			this.#changed.delete(key);
			if (previous) this.#changed.set(key, previous);
		}
	}

	/**
	 * Stores the counters and trims the stream to its caps, `maxItems` items and
	 * `maxBytes` bytes of keys and values (oldest keyless first, then oldest keyed).
	 * Each removal takes a seq of its own, so a resuming client learns about it like
	 * about any other change.
	 */
	finish(caps: StreamCaps): AppliedChanges {
		// Rows first written in this batch: seq and created_seq both after its start (one index range).
		const stored = this.#sql
			.exec<{ inserted: number; bytes: number }>(
				"SELECT (SELECT COUNT(*) FROM items WHERE seq > ?1 AND created_seq > ?1) AS inserted, (SELECT value FROM meta WHERE name = 'bytes') AS bytes",
				this.#startSeq,
			)
			.one();
		this.#count += stored.inserted;
		const removed = this.#trim(caps, stored.bytes);
		this.#changelog.recordAll(this.#changes, this.#now);
		this.#sql.exec(
			"UPDATE meta SET value = CASE name WHEN 'seq' THEN ?1 ELSE ?2 END WHERE name IN ('seq', 'item_count')",
			this.#seq,
			this.#count,
		);
		return { from: this.#startSeq + 1, to: this.#seq, items: [...this.#changed.values()], removed };
	}

	/** Removes the oldest items, keyless ones first, a page at a time, until the stream is within both caps. */
	#trim(caps: StreamCaps, startBytes: number): string[] {
		const removed: string[] = [];
		let bytes = startBytes;
		for (const keyless of [1, 0]) {
			while (this.#count > caps.maxItems || bytes > caps.maxBytes) {
				const page = this.#sql
					.exec<{ key: string; size: number }>("SELECT key, size FROM items WHERE keyless = ? ORDER BY seq LIMIT ?", keyless, TRIM_PAGE)
					.toArray();
				const doomed: string[] = [];
				for (const row of page) {
					if (this.#count - doomed.length <= caps.maxItems && bytes <= caps.maxBytes) break;
					doomed.push(row.key);
					bytes -= row.size;
				}
				for (const keys of jsonChunks(doomed)) this.#sql.exec("DELETE FROM items WHERE key IN (SELECT value FROM json_each(?))", keys);
				for (const key of doomed) {
					removed.push(key);
					this.#changed.delete(key);
					this.#changes.push([++this.#seq, key, 1]);
				}
				this.#count -= doomed.length;
				if (page.length < TRIM_PAGE) break;
			}
		}
		return removed;
	}
}
