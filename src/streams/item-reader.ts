import type { JsonObject } from "../ingest/payload";
import { Changelog } from "./changelog";

/** An item as renderers and the snapshot see it. */
export interface StreamItem {
	key: string;
	value: JsonObject;
	seq: number;
	updated_at: string;
}

/** Reads one of the stream's counters. */
export function readMeta(sql: SqlStorage, name: "seq" | "item_count"): number {
	return sql.exec<{ value: number }>("SELECT value FROM meta WHERE name = ?", name).one().value;
}

/** What a reader asked for: everything (paged by `after`/`limit`), or the changes after `since`. */
export type ReadRequest = { since: number } | { after?: number; limit?: number };

/** An item as JSON text, with its seq. */
export interface ItemText {
	text: string;
	seq: number;
}

/** A read of the stream, with items as JSON texts ready to splice into frames and responses. */
export interface StreamRead {
	seq: number;
	/** True when `items`/`removed` are the changes after `since`; false for a (page of a) full snapshot. */
	resumed: boolean;
	items: ItemText[];
	removed: string[];
	/** For a paged snapshot: the `after` of the next page, or null at the end. */
	nextAfter: number | null;
}

/** Read access to a stream's items and history. */
export class ItemReader {
	readonly #changelog: Changelog;

	constructor(readonly sql: SqlStorage) {
		this.#changelog = new Changelog(sql);
	}

	/** The stream's current seq. */
	seq(): number {
		return readMeta(this.sql, "seq");
	}

	/**
	 * Items as JSON texts, built by SQLite from the stored value text: a large
	 * snapshot is never parsed into objects only to be stringified again.
	 */
	#itemTexts(after: number, limit: number): ItemText[] {
		return this.sql
			.exec<{ text: string; seq: number }>(
				`SELECT json_object('key', key, 'value', json(value), 'seq', seq, 'updated_at', updated_at) AS text, seq
				 FROM items WHERE seq > ? ORDER BY seq LIMIT ?`,
				after,
				limit,
			)
			.toArray();
	}

	/** Answers a read: a resume when `since` is still covered by the changelog, else a (paged) snapshot. */
	read(request: ReadRequest): StreamRead {
		const head = this.seq();
		if ("since" in request && this.#changelog.covers(request.since, head)) {
			const items = this.#itemTexts(request.since, Number.MAX_SAFE_INTEGER);
			return { seq: head, resumed: true, items, removed: this.#changelog.removedSince(request.since), nextAfter: null };
		}
		const after = "after" in request ? (request.after ?? 0) : 0;
		const limit = "limit" in request && request.limit !== undefined ? request.limit : Number.MAX_SAFE_INTEGER;
		const rows = this.#itemTexts(after, limit);
		const last = rows.at(-1);
		const more = rows.length === limit && last !== undefined && last.seq < head;
		return { seq: head, resumed: false, items: rows, removed: [], nextAfter: more ? last.seq : null };
	}

	/** Items with a seq above `after`, parsed, in seq order. */
	items(after = 0): StreamItem[] {
		return this.#itemTexts(after, Number.MAX_SAFE_INTEGER).map((row) => JSON.parse(row.text) as StreamItem);
	}
}
