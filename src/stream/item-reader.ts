import type { JsonObject } from "../model/payload";
import type { StreamItem, StreamSummary } from "../model/stream-item";
import { Changelog } from "./changelog";
import type { ItemText } from "./frames";

export type { ItemText } from "./frames";

export type { StreamItem, StreamSummary } from "../model/stream-item";

/** Reads one of the stream's counters. */
export function readMeta(sql: SqlStorage, name: "seq" | "item_count"): number {
	return sql.exec<{ value: number }>("SELECT value FROM meta WHERE name = ?", name).one().value;
}

/** What a reader asked for: everything (paged by `after`/`limit`), or the changes after `since`. */
export type ReadRequest = { since: number } | { after?: number; limit?: number };

/**
 * A read of the stream, with items as JSON texts ready to splice into frames and
 * responses. `items` is read from SQLite row by row as it is iterated: iterate it
 * once, to the end, in the same turn as the read (no await in between), so that
 * every item is of `seq` and only what the caller keeps is in memory.
 */
export interface StreamRead {
	seq: number;
	/** True when `items`/`removed` are the changes after `since`; false for a (page of a) full snapshot. */
	resumed: boolean;
	items: Iterable<ItemText>;
	removed: string[];
	/** For a paged snapshot, once `items` was iterated: the `after` of the next page, or null at the end. */
	nextAfter(): number | null;
}

/** Read access to a stream's items and history. */
export class ItemReader {
	readonly #changelog: Changelog;

	constructor(readonly sql: SqlStorage) {
		this.#changelog = new Changelog(sql);
	}

	/** One item by key, or null. */
	item(key: string): StreamItem | null {
		const row = this.sql
			.exec<{ key: string; value: string; seq: number; updated_at: string }>("SELECT key, value, seq, updated_at FROM items WHERE key = ?", key)
			.toArray()[0];
		return row ? { key: row.key, value: JSON.parse(row.value) as JsonObject, seq: row.seq, updated_at: row.updated_at } : null;
	}

	/** The item count, the seq and when the stream was last written. */
	summary(): StreamSummary {
		const rows = this.sql.exec<{ name: string; value: number }>("SELECT name, value FROM meta WHERE name IN ('item_count', 'seq', 'last_write_at')").toArray();
		const meta = new Map(rows.map((row) => [row.name, row.value]));
		const lastWrite = meta.get("last_write_at") ?? 0;
		return { item_count: meta.get("item_count") ?? 0, seq: meta.get("seq") ?? 0, last_write_at: lastWrite > 0 ? new Date(lastWrite).toISOString() : null };
	}

	/** The stream's current seq. */
	seq(): number {
		return readMeta(this.sql, "seq");
	}

	/**
	 * Items as JSON texts, built by SQLite from the stored value text (a large snapshot
	 * is never parsed into objects only to be stringified again), on a cursor that
	 * steps through the rows as it is iterated.
	 */
	itemTexts(after: number, limit = Number.MAX_SAFE_INTEGER): SqlStorageCursor<{ text: string; seq: number }> {
		return this.sql.exec<{ text: string; seq: number }>(
			`SELECT json_object('key', key, 'value', json(value), 'seq', seq, 'updated_at', updated_at) AS text, seq
			 FROM items WHERE seq > ? ORDER BY seq LIMIT ?`,
			after,
			limit,
		);
	}

	/** Answers a read: a resume when `since` is still covered by the changelog, else a (paged) snapshot. */
	read(request: ReadRequest): StreamRead {
		const head = this.seq();
		if ("since" in request && this.#changelog.covers(request.since, head)) {
			const removed = this.#changelog.removedSince(request.since);
			return { seq: head, resumed: true, items: this.itemTexts(request.since), removed, nextAfter: () => null };
		}
		const after = "after" in request ? (request.after ?? 0) : 0;
		const limit = "limit" in request && request.limit !== undefined ? request.limit : Number.MAX_SAFE_INTEGER;
		// Counted as the items go by, for `nextAfter`.
		let count = 0;
		let lastSeq = 0;
		const rows = this.itemTexts(after, limit);
		function* counted(): Generator<ItemText> {
			for (const row of rows) {
				count++;
				lastSeq = row.seq;
				yield row;
			}
		}
		const more = () => count === limit && count > 0 && lastSeq < head;
		return { seq: head, resumed: false, items: counted(), removed: [], nextAfter: () => (more() ? lastSeq : null) };
	}
}
