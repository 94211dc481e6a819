import type { JsonObject, ParsedItem } from "../ingest/payload";

/** An item as renderers and the snapshot see it. */
export interface StreamItem {
	key: string;
	value: JsonObject;
	seq: number;
	updated_at: string;
}

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

interface ItemRow extends Record<string, SqlStorageValue> {
	key: string;
	value: string;
	seq: number;
	updated_at: string;
}

const toItem = (row: ItemRow): StreamItem => ({
	key: row.key,
	value: JSON.parse(row.value) as JsonObject,
	seq: row.seq,
	updated_at: row.updated_at,
});

/** Reads the stream's counters. */
function meta(sql: SqlStorage, name: "seq" | "item_count"): number {
	return sql.exec<{ value: number }>("SELECT value FROM meta WHERE name = ?", name).one().value;
}

/**
 * Writes of one batch, inside the caller's transaction. Seq values are handed out
 * in apply order; `finish` stores the counters, enforces the item cap and returns
 * the coalesced changes.
 */
export class ItemBatch {
	readonly #sql: SqlStorage;
	readonly #startSeq: number;
	#seq: number;
	#count: number;
	readonly #changed = new Map<string, StreamItem>();
	// Entries `#changed` held before each write, so a request's writes can be undone alone.
	readonly #undo: [string, StreamItem | undefined][] = [];

	constructor(sql: SqlStorage) {
		this.#sql = sql;
		this.#startSeq = meta(sql, "seq");
		this.#seq = this.#startSeq;
		this.#count = meta(sql, "item_count");
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
			const existing = this.#sql
				.exec<{ stamp_at: number; stamp_request: string }>(
					"SELECT stamp_at, stamp_request FROM items WHERE key = ?",
					key,
				)
				.toArray()[0];
			if (existing && (existing.stamp_at > stamp.at || (existing.stamp_at === stamp.at && existing.stamp_request > stamp.requestId))) {
				return;
			}
			const seq = ++this.#seq;
			const value = JSON.stringify(item.value);
			this.#sql.exec(
				`INSERT INTO items (key, value, seq, updated_at, stamp_at, stamp_request, keyless) VALUES (?, ?, ?, ?, ?, ?, ?)
				 ON CONFLICT (key) DO UPDATE SET value = excluded.value, seq = excluded.seq, updated_at = excluded.updated_at,
				 stamp_at = excluded.stamp_at, stamp_request = excluded.stamp_request`,
				key,
				value,
				seq,
				updatedAt,
				stamp.at,
				stamp.requestId,
				item.key === null ? 1 : 0,
			);
			if (!existing) this.#count++;
			this.#undo.push([key, this.#changed.get(key)]);
			this.#changed.delete(key);
			this.#changed.set(key, { key, value: item.value, seq, updated_at: updatedAt });
			written++;
		});
		return written;
	}

	/** A point to return to with `rollback` when a request's writes are undone by its savepoint. */
	mark(): { seq: number; count: number; undo: number } {
		return { seq: this.#seq, count: this.#count, undo: this.#undo.length };
	}

	/** Forgets the writes made since `mark` (the caller rolled back their SQL). */
	rollback(mark: { seq: number; count: number; undo: number }): void {
		this.#seq = mark.seq;
		this.#count = mark.count;
		while (this.#undo.length > mark.undo) {
			const [key, previous] = this.#undo.pop() as [string, StreamItem | undefined];
			this.#changed.delete(key);
			if (previous) this.#changed.set(key, previous);
		}
	}

	/** Stores the counters and trims the stream to `maxItems` (oldest keyless first, then oldest keyed). */
	finish(maxItems: number): AppliedChanges {
		const removed: string[] = [];
		for (const keyless of [1, 0]) {
			const excess = this.#count - maxItems;
			if (excess <= 0) break;
			const rows = this.#sql
				.exec<{ key: string }>(
					"DELETE FROM items WHERE key IN (SELECT key FROM items WHERE keyless = ? ORDER BY seq LIMIT ?) RETURNING key",
					keyless,
					excess,
				)
				.toArray();
			for (const { key } of rows) {
				removed.push(key);
				this.#changed.delete(key);
			}
			this.#count -= rows.length;
		}
		this.#sql.exec("UPDATE meta SET value = ? WHERE name = 'seq'", this.#seq);
		this.#sql.exec("UPDATE meta SET value = ? WHERE name = 'item_count'", this.#count);
		return { from: this.#startSeq + 1, to: this.#seq, items: [...this.#changed.values()], removed };
	}
}

/** Read access to a stream's items. */
export class ItemReader {
	constructor(readonly sql: SqlStorage) {}

	/** The stream's current seq. */
	seq(): number {
		return meta(this.sql, "seq");
	}

	/** How many items the stream holds. */
	count(): number {
		return meta(this.sql, "item_count");
	}

	/** Items with a seq above `since`, in seq order, at most `limit` of them. */
	items(since = 0, limit = Number.MAX_SAFE_INTEGER): StreamItem[] {
		return this.sql
			.exec<ItemRow>("SELECT key, value, seq, updated_at FROM items WHERE seq > ? ORDER BY seq LIMIT ?", since, limit)
			.toArray()
			.map(toItem);
	}

	/**
	 * The same as `items`, already serialised as a JSON array by SQLite: a large
	 * snapshot never becomes JS objects only to be stringified again.
	 */
	itemsJson(since = 0, limit = Number.MAX_SAFE_INTEGER): string {
		const row = this.sql
			.exec<{ items: string | null }>(
				`SELECT json_group_array(json_object('key', key, 'value', json(value), 'seq', seq, 'updated_at', updated_at)) AS items
				 FROM (SELECT key, value, seq, updated_at FROM items WHERE seq > ? ORDER BY seq LIMIT ?)`,
				since,
				limit,
			)
			.one();
		return row.items ?? "[]";
	}
}
