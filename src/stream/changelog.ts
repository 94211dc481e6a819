import { jsonChunks } from "./work-budget";

/** How long and how much change history a stream keeps for `since` resumes. */
export interface Retention {
	maxEntries: number;
	maxAgeMs: number;
}

/** How far the head may move, and how long, before `pruneIfDue` prunes again. */
const PRUNE_EVERY = { seqs: 256, ms: 1000 };

/**
 * The stream's recent history of changes, one row per seq: which key it touched
 * and whether it removed it. Current values live in `items`; the log is what
 * tells a resuming client which keys went away, and how far back a resume can go.
 */
export class Changelog {
	// The head and time of the last prune through `pruneIfDue`, in this instance.
	#pruned: { head: number; at: number } | null = null;

	constructor(readonly sql: SqlStorage) {}

	/** Records changes, each `[seq, key, removed]`: that `seq` wrote (0) or removed (1) `key`. One statement per 256 KB of rows. */
	recordAll(changes: [number, string, 0 | 1][], now: number): void {
		for (const rows of jsonChunks(changes)) {
			this.sql.exec(
				"INSERT OR REPLACE INTO changelog (seq, key, removed, changed_at) SELECT value ->> 0, value ->> 1, value ->> 2, ? FROM json_each(?)",
				now,
				rows,
			);
		}
	}

	/** Forgets the history up to `seq` (a replace or clear there makes every resume from before it a snapshot). */
	forgetUpTo(seq: number): void {
		this.sql.exec("DELETE FROM changelog WHERE seq <= ?", seq);
	}

	/**
	 * Forgets history beyond the retention: more than `maxEntries` behind `head`, or older than `maxAgeMs`. Rows
	 * are written in seq order, so the history kept is always the rows from some seq on (what `covers` relies on):
	 * the age bound keeps everything from the first row young enough, found by stepping through the oldest rows
	 * (those it removes) in seq order, with no index on age to write along with every row.
	 */
	prune(head: number, retention: Retention, now: number): void {
		this.sql.exec(
			`DELETE FROM changelog WHERE seq < MAX(?1 + 1,
			   COALESCE((SELECT seq FROM changelog WHERE changed_at >= ?2 ORDER BY seq LIMIT 1), ?3 + 1))`,
			head - retention.maxEntries,
			now - retention.maxAgeMs,
			head,
		);
	}

	/**
	 * Prunes once the head has moved 256 seqs or a second has passed since the last prune:
	 * a statement per applied batch is worth saving, and the history kept meanwhile only
	 * lets resumes reach a little further back.
	 */
	pruneIfDue(head: number, retention: Retention, now: number): void {
		const last = this.#pruned;
		if (last && head - last.head < PRUNE_EVERY.seqs && now - last.at < PRUNE_EVERY.ms) return;
		this.prune(head, retention, now);
		this.#pruned = { head, at: now };
	}

	/** Whether every change after `since` is still retained, so a resume can replace a snapshot. */
	covers(since: number, head: number): boolean {
		if (since > head) return false;
		if (since === head) return true;
		const { oldest } = this.sql.exec<{ oldest: number | null }>("SELECT MIN(seq) AS oldest FROM changelog").one();
		return oldest !== null && oldest <= since + 1;
	}

	/** Keys removed after `since` (and not written again since). */
	removedSince(since: number): string[] {
		return this.sql
			.exec<{ key: string }>(
				`SELECT DISTINCT c.key FROM changelog c
				 WHERE c.seq > ? AND c.removed = 1 AND NOT EXISTS (SELECT 1 FROM items i WHERE i.key = c.key)
				 ORDER BY c.key`,
				since,
			)
			.toArray()
			.map((row) => row.key);
	}
}
