/**
 * How long a stream remembers a revoked grant. Other isolates may trust a revoked
 * token from their auth cache for AUTH_CACHE_TTL_SECONDS (at most 60 s) and open
 * new sockets with it meanwhile; a day is far beyond that, and costs one row per
 * revocation.
 */
export const REVOKED_GRANT_KEEP_MS = 24 * 60 * 60 * 1000;

/** The grants (socket tags, e.g. `token:rtk_…`) revoked lately, kept in the object's SQLite across restarts. */
export class RevokedGrants {
	constructor(readonly sql: SqlStorage) {}

	/** Remembers a revocation, and forgets those older than the keep time. */
	add(grant: string, now: number): void {
		this.sql.exec("INSERT OR REPLACE INTO revoked_grants (grant_tag, revoked_at) VALUES (?, ?)", grant, now);
		this.sql.exec("DELETE FROM revoked_grants WHERE revoked_at < ?", now - REVOKED_GRANT_KEEP_MS);
	}

	/** Whether a grant was revoked (within the keep time). */
	has(grant: string): boolean {
		return this.sql.exec("SELECT 1 FROM revoked_grants WHERE grant_tag = ?", grant).toArray().length > 0;
	}
}
