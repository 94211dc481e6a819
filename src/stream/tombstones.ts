/** A day in milliseconds: tombstone retention is set in days. */
export const DAY_MS = 24 * 60 * 60 * 1000;

/** Forgets the tombstones of deletes applied before `before` (older than the retention). */
export function pruneTombstones(sql: SqlStorage, before: number): void {
	sql.exec("DELETE FROM tombstones WHERE deleted_at < ?", before);
}

/** When the oldest tombstone is due to be forgotten, or null when there is none. */
export function nextTombstoneExpiry(sql: SqlStorage, retentionMs: number): number | null {
	const { oldest } = sql.exec<{ oldest: number | null }>("SELECT MIN(deleted_at) AS oldest FROM tombstones").one();
	return oldest === null ? null : oldest + retentionMs;
}
