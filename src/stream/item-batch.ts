import type { ParsedItem } from "../model/payload";
import { Changelog } from "./changelog";
import type { StreamItem } from "./item-reader";
import { type WriteStamp, isOlder } from "./stamps";
import { Watermark } from "./watermark";
import { jsonChunks, jsonRowChunks } from "./work-budget";

export type { WriteStamp } from "./stamps";

/**
 * What one applied batch changed: the last write per key in seq order and the keys
 * removed (deletes and the caps); `reset` when a replace or clear made every renderer
 * need a fresh snapshot instead.
 */
export interface AppliedChanges {
	from: number;
	to: number;
	items: StreamItem[];
	removed: string[];
	reset: boolean;
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
	undo: number;
}

/**
 * The writes of one delivery, inside the caller's transaction. Seqs are handed out
 * in apply order and every one is logged in the changelog; `finish` stores the
 * counters and the changelog rows (a statement per 256 KB of them, however many
 * writes: in workerd every statement costs tens of µs), enforces the caps and returns
 * the coalesced changes. Last writer wins by edge stamp across writes, deletes
 * (tombstones) and replaces (the watermark).
 */
export class ItemBatch {
	readonly #sql: SqlStorage;
	readonly #changelog: Changelog;
	readonly #watermark: Watermark;
	readonly #now: number;
	readonly #startSeq: number;
	#seq: number;
	#reset = false;
	readonly #changed = new Map<string, StreamItem>();
	readonly #removed = new Set<string>();
	// How to undo each step of the batch's state, so a request's writes can be undone alone (its savepoint).
	readonly #undo: (() => void)[] = [];
	// The changelog rows of the batch, [seq, key, removed], written by `finish`.
	readonly #changes: [number, string, 0 | 1][] = [];

	constructor(sql: SqlStorage, now = Date.now()) {
		this.#sql = sql;
		this.#changelog = new Changelog(sql);
		this.#watermark = new Watermark(sql);
		this.#now = now;
		const { seq } = sql.exec<{ seq: number }>("SELECT value AS seq FROM meta WHERE name = 'seq'").one();
		this.#startSeq = seq;
		this.#seq = seq;
	}

	/**
	 * Applies a request's items. A keyed item replaces the stored one unless that one,
	 * or a delete's tombstone, is of a later request (edge time, then request id);
	 * keyless items are appended under `<request id>:<index>`. A request stamped before
	 * the last replace or clear writes nothing. Returns how many items were written.
	 */
	write(items: ParsedItem[], stamp: WriteStamp): number {
		if (isOlder(stamp, this.#watermark.current().stamp)) return 0;
		if (items.length === 0) return 0;
		const updatedAt = new Date(stamp.at).toISOString();
		const keys = items.map((item, index) => item.key ?? `${stamp.requestId}:${index}`);
		// One undo step for the whole write, registered before it changes anything: the seq, the changelog rows and
		// each key's previous entry (undone newest first).
		const mark = { seq: this.#seq, changes: this.#changes.length, changed: [] as [string, StreamItem | undefined, boolean][] };
		this.#undo.push(() => {
			this.#seq = mark.seq;
			this.#changes.length = mark.changes;
			for (let index = mark.changed.length - 1; index >= 0; index--) {
				const [key, before, wasRemoved] = mark.changed[index] as [string, StreamItem | undefined, boolean];
				this.#changed.delete(key);
				if (before) this.#changed.set(key, before);
				if (wasRemoved) this.#removed.add(key);
			}
		});
		const note = (index: number, seq: number) => {
			const key = keys[index] as string;
			this.#changes.push([seq, key, 0]);
			mark.changed.push([key, this.#changed.get(key), this.#removed.has(key)]);
			this.#changed.delete(key);
			this.#changed.set(key, { key, value: (items[index] as ParsedItem).value, seq, updated_at: updatedAt });
			this.#removed.delete(key);
		};
		if (items.length === 1) {
			// One item: one plain upsert, cheaper than the set statement's materialised SELECT and RETURNING. It is
			// written only if no later delete left a tombstone, and the update only if the stored row is of the same
			// key space and not of a later request.
			const item = items[0] as ParsedItem;
			const seq = this.#seq + 1;
			const { rowsWritten } = this.#sql.exec(
				`INSERT INTO items (key, value, seq, updated_at, stamp_at, stamp_request, keyless, created_seq, size)
				 SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?3, length(CAST(?1 AS BLOB)) + length(CAST(?2 AS BLOB))
				 WHERE NOT EXISTS (SELECT 1 FROM tombstones t WHERE t.key = ?1 AND (t.stamp_at > ?5 OR (t.stamp_at = ?5 AND t.stamp_request > ?6)))
				 ON CONFLICT (key) DO UPDATE SET value = excluded.value, seq = excluded.seq, updated_at = excluded.updated_at,
				 stamp_at = excluded.stamp_at, stamp_request = excluded.stamp_request, size = excluded.size
				 WHERE items.keyless = excluded.keyless
				   AND (excluded.stamp_at > items.stamp_at
				    OR (excluded.stamp_at = items.stamp_at AND excluded.stamp_request >= items.stamp_request))`,
				keys[0],
				JSON.stringify(item.value),
				seq,
				updatedAt,
				stamp.at,
				stamp.requestId,
				item.key === null ? 1 : 0,
			);
			if (rowsWritten === 0) return 0;
			this.#seq = seq;
			note(0, seq);
			return 1;
		}
		const rows = items.map((item, index) => [keys[index], JSON.stringify(item.value), item.key === null ? 1 : 0]);
		let written = 0;
		let offset = 0;
		for (const { json: chunk, count } of jsonRowChunks(rows)) {
			const base = this.#seq;
			// One statement decides and writes all the chunk's items. The SELECT decides each item against the
			// stream as it was before the statement (it reads `items`, so SQLite materialises it first): an item is
			// written unless a later delete left a tombstone or the stored row is of a later request (edge time,
			// then request id) or of the other key space (a keyed write never replaces a keyless row, nor a keyless
			// one a keyed row). All items of a request share its stamp and its key space, so a key the request
			// names twice is decided the same both times, and the later one overwrites the earlier: each written
			// item takes the next seq, in item order (row_number over the written ones, no gaps). The upsert's WHERE
			// holds the same rule once more. The size (UTF-8 bytes of key and value) feeds the stream's byte count
			// through the items_bytes triggers.
			const returned = this.#sql
				.exec<{ key: string; seq: number }>(
					`INSERT INTO items (key, value, seq, updated_at, stamp_at, stamp_request, keyless, created_seq, size)
					 SELECT c.k, c.v, ?2 + row_number() OVER (ORDER BY c.idx), ?3, ?4, ?5, c.kl, ?2 + row_number() OVER (ORDER BY c.idx),
					        length(CAST(c.k AS BLOB)) + length(CAST(c.v AS BLOB))
					 FROM (SELECT j.key AS idx, j.value ->> 0 AS k, j.value ->> 1 AS v, j.value ->> 2 AS kl FROM json_each(?1) j) c
					 LEFT JOIN items i ON i.key = c.k
					 LEFT JOIN tombstones t ON t.key = c.k
					 WHERE (t.key IS NULL OR NOT (t.stamp_at > ?4 OR (t.stamp_at = ?4 AND t.stamp_request > ?5)))
					   AND (i.key IS NULL OR (i.keyless = c.kl AND (?4 > i.stamp_at OR (?4 = i.stamp_at AND ?5 >= i.stamp_request))))
					 ORDER BY c.idx
					 ON CONFLICT (key) DO UPDATE SET value = excluded.value, seq = excluded.seq, updated_at = excluded.updated_at,
					 stamp_at = excluded.stamp_at, stamp_request = excluded.stamp_request, size = excluded.size
					 WHERE items.keyless = excluded.keyless
					   AND (excluded.stamp_at > items.stamp_at
					    OR (excluded.stamp_at = items.stamp_at AND excluded.stamp_request >= items.stamp_request))
					 RETURNING key, seq`,
					chunk,
					base,
					updatedAt,
					stamp.at,
					stamp.requestId,
				)
				.toArray();
			if (returned.length > 0) {
				const hit = new Set<string>();
				let top = base;
				for (const row of returned) {
					hit.add(row.key);
					if (row.seq > top) top = row.seq;
				}
				// Every item of a written key was written (a request decides a key the same for all its items).
				let seq = base;
				for (let index = offset; index < offset + count; index++) {
					const key = keys[index] as string;
					if (!hit.has(key)) continue;
					seq++;
					note(index, seq);
				}
				if (seq !== top || seq - base !== returned.length) {
					throw new Error(`Items written out of step with their seqs (${returned.length} rows, seqs ${base + 1}..${top}, ${seq - base} items).`);
				}
				this.#seq = seq;
				written += seq - base;
			}
			offset += count;
		}
		return written;
	}

	/**
	 * Deletes items by key: each goes unless it was written by a later request, and
	 * leaves a tombstone so that an older write delivered late cannot bring it back.
	 * A delete stamped before the last replace or clear has nothing left to remove.
	 * Returns the keys removed.
	 */
	delete(keys: string[], stamp: WriteStamp): Set<string> {
		const gone = new Set<string>();
		if (isOlder(stamp, this.#watermark.current().stamp)) return gone;
		for (const chunk of jsonChunks(keys)) {
			const rows = this.#sql.exec<{ key: string }>(
				`DELETE FROM items WHERE key IN (SELECT value FROM json_each(?1))
				 AND (stamp_at < ?2 OR (stamp_at = ?2 AND stamp_request <= ?3)) RETURNING key`,
				chunk,
				stamp.at,
				stamp.requestId,
			);
			for (const { key } of rows) gone.add(key);
			this.#sql.exec(
				`INSERT INTO tombstones (key, stamp_at, stamp_request, deleted_at) SELECT value, ?2, ?3, ?4 FROM json_each(?1) WHERE true
				 ON CONFLICT (key) DO UPDATE SET stamp_at = excluded.stamp_at, stamp_request = excluded.stamp_request, deleted_at = excluded.deleted_at
				 WHERE excluded.stamp_at > tombstones.stamp_at
				    OR (excluded.stamp_at = tombstones.stamp_at AND excluded.stamp_request > tombstones.stamp_request)`,
				chunk,
				stamp.at,
				stamp.requestId,
				this.#now,
			);
		}
		for (const key of gone) this.#noteRemoved(key);
		return gone;
	}

	/**
	 * Makes `items` the stream's whole content: they are written like any write, then
	 * every item stamped before this request goes, in one change. The request's stamp
	 * becomes the watermark: writes stamped before it that arrive later are discarded,
	 * and renderers get a fresh snapshot. Returns how many items were removed.
	 */
	replace(items: ParsedItem[], stamp: WriteStamp): number {
		if (isOlder(stamp, this.#watermark.current().stamp)) return 0;
		this.write(items, stamp);
		const before = this.#itemCount();
		this.#sql.exec("DELETE FROM items WHERE stamp_at < ?1 OR (stamp_at = ?1 AND stamp_request < ?2)", stamp.at, stamp.requestId);
		const removed = before - this.#itemCount();
		const previousReset = this.#reset;
		this.#reset = true;
		this.#undo.push(() => {
			this.#reset = previousReset;
		});
		// The reset takes a seq of its own: a resume from before it gets a snapshot.
		this.#took(this.#seq + 1);
		const previous = this.#watermark.current();
		this.#watermark.set({ stamp, seq: this.#seq });
		this.#undo.push(() => this.#watermark.set(previous));
		// Older tombstones are covered by the watermark now.
		this.#sql.exec("DELETE FROM tombstones WHERE stamp_at < ?1 OR (stamp_at = ?1 AND stamp_request < ?2)", stamp.at, stamp.requestId);
		return removed;
	}

	/** Where the batch stands, to `rollback` to if a request's savepoint is rolled back. */
	mark(): BatchMark {
		return { undo: this.#undo.length };
	}

	/** Forgets the writes made since `mark` (the caller rolled back their SQL). */
	rollback(mark: BatchMark): void {
		while (this.#undo.length > mark.undo) (this.#undo.pop() as () => void)();
	}

	/**
	 * Stores the counters and trims the stream to its caps, `maxItems` items and
	 * `maxBytes` bytes of keys and values (oldest keyless first, then oldest keyed).
	 * Each removal takes a seq of its own, so a resuming client learns about it like
	 * about any other change.
	 */
	finish(caps: StreamCaps): AppliedChanges {
		this.#trim(caps);
		if (this.#reset) this.#changelog.forgetUpTo(this.#watermark.current().seq);
		// A reset's own changes are in its snapshot; a resume from before it gets one.
		this.#changelog.recordAll(this.#reset ? this.#changes.filter(([seq]) => seq > this.#watermark.current().seq) : this.#changes, this.#now);
		if (this.#seq > this.#startSeq) {
			this.#sql.exec(
				"UPDATE meta SET value = CASE name WHEN 'seq' THEN ?1 ELSE ?2 END WHERE name IN ('seq', 'last_write_at')",
				this.#seq,
				this.#now,
			);
		}
		this.#watermark.save();
		return { from: this.#startSeq + 1, to: this.#seq, items: [...this.#changed.values()], removed: [...this.#removed], reset: this.#reset };
	}

	/** Removes the oldest items, keyless ones first, a page at a time, until the stream is within both caps. */
	#trim(caps: StreamCaps): void {
		let { count, bytes } = this.#sql
			.exec<{ count: number; bytes: number }>(
				"SELECT (SELECT value FROM meta WHERE name = 'item_count') AS count, (SELECT value FROM meta WHERE name = 'bytes') AS bytes",
			)
			.one();
		for (const keyless of [1, 0]) {
			while (count > caps.maxItems || bytes > caps.maxBytes) {
				const page = this.#sql
					// The keyless value as a literal: the index of keyless items (partial, WHERE keyless = 1) serves only a query that says so.
					.exec<{ key: string; size: number }>(`SELECT key, size FROM items WHERE keyless = ${keyless} ORDER BY seq LIMIT ?`, TRIM_PAGE)
					.toArray();
				const doomed: string[] = [];
				for (const row of page) {
					if (count - doomed.length <= caps.maxItems && bytes <= caps.maxBytes) break;
					doomed.push(row.key);
					bytes -= row.size;
				}
				for (const keys of jsonChunks(doomed)) this.#sql.exec("DELETE FROM items WHERE key IN (SELECT value FROM json_each(?))", keys);
				for (const key of doomed) this.#noteRemoved(key);
				count -= doomed.length;
				if (page.length < TRIM_PAGE) break;
			}
		}
	}

	/** The stream's item count, kept by the items_count triggers. */
	#itemCount(): number {
		return this.#sql.exec<{ value: number }>("SELECT value FROM meta WHERE name = 'item_count'").one().value;
	}

	/** Hands out `seq`, undoably. */
	#took(seq: number): void {
		const previous = this.#seq;
		this.#seq = seq;
		this.#undo.push(() => {
			this.#seq = previous;
		});
	}

	/** Records a written item for the renderers; re-inserting keeps the map in seq order, the order changes are sent in. */
	#noteWritten(item: StreamItem): void {
		const { key } = item;
		const [before, wasRemoved, changes] = [this.#changed.get(key), this.#removed.has(key), this.#changes.length - 1];
		this.#changed.delete(key);
		this.#changed.set(key, item);
		this.#removed.delete(key);
		this.#undo.push(() => {
			this.#changes.length = changes;
			this.#changed.delete(key);
			if (before) this.#changed.set(key, before);
			if (wasRemoved) this.#removed.add(key);
		});
	}

	/** Records a removed key: it takes the next seq, and leaves the batch's writes. */
	#noteRemoved(key: string): void {
		const before = this.#changed.get(key);
		const wasRemoved = this.#removed.has(key);
		const changes = this.#changes.length;
		this.#took(this.#seq + 1);
		this.#changes.push([this.#seq, key, 1]);
		this.#changed.delete(key);
		this.#removed.add(key);
		this.#undo.push(() => {
			this.#changes.length = changes;
			if (!wasRemoved) this.#removed.delete(key);
			if (before) this.#changed.set(key, before);
		});
	}
}
