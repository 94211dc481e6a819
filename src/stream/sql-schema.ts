/** The stream object's SQLite schema, as append-only migrations: entry N runs once. */
export const STREAM_MIGRATIONS: string[] = [
	`CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
	 INSERT INTO meta (name, value) VALUES ('seq', 0), ('item_count', 0);
	 CREATE TABLE items (
		key TEXT PRIMARY KEY,
		value TEXT NOT NULL,
		seq INTEGER NOT NULL UNIQUE,
		updated_at TEXT NOT NULL,
		stamp_at INTEGER NOT NULL,
		stamp_request TEXT NOT NULL,
		keyless INTEGER NOT NULL
	 );
	 CREATE INDEX items_keyless_by_seq ON items (keyless, seq);
	 CREATE TABLE requests (
		request_id TEXT PRIMARY KEY,
		outcome TEXT NOT NULL,
		error TEXT,
		decided_at INTEGER NOT NULL
	 );
	 CREATE INDEX requests_by_age ON requests (decided_at);
	 CREATE TABLE idempotency (
		connector_id TEXT NOT NULL,
		key TEXT NOT NULL,
		body_hash TEXT NOT NULL,
		request_id TEXT NOT NULL,
		items_received INTEGER NOT NULL,
		created_at INTEGER NOT NULL,
		PRIMARY KEY (connector_id, key)
	 );
	 CREATE INDEX idempotency_by_age ON idempotency (created_at);
	 CREATE INDEX idempotency_by_request ON idempotency (request_id);
	 CREATE TABLE parts (
		request_id TEXT NOT NULL,
		part INTEGER NOT NULL,
		parts INTEGER NOT NULL,
		envelope TEXT NOT NULL,
		body TEXT NOT NULL,
		arrived_at INTEGER NOT NULL,
		PRIMARY KEY (request_id, part)
	 );
	 CREATE INDEX parts_by_age ON parts (arrived_at);`,
	`CREATE TABLE changelog (
		seq INTEGER PRIMARY KEY,
		key TEXT NOT NULL,
		removed INTEGER NOT NULL,
		changed_at INTEGER NOT NULL
	 );
	 CREATE INDEX changelog_by_age ON changelog (changed_at);
	 CREATE INDEX changelog_removed ON changelog (removed, seq);`,
	// The seq an item was first written with, so a batch counts its inserts in one query instead of a
	// SELECT before every write. Rows from before it have NULL, which never counts as new.
	`ALTER TABLE items ADD COLUMN created_seq INTEGER;`,
	// Connector-log entries waiting to be written to D1 (LogOutbox): one JSON LogRecord per row, in decision order.
	`CREATE TABLE log_outbox (id INTEGER PRIMARY KEY, record TEXT NOT NULL);`,
	// Each item's size (UTF-8 bytes of key and value) and the stream's total, kept by triggers inside SQLite (no
	// statement from JavaScript per write), for the byte cap MAX_STREAM_BYTES.
	`ALTER TABLE items ADD COLUMN size INTEGER NOT NULL DEFAULT 0;
	 UPDATE items SET size = length(CAST(key AS BLOB)) + length(CAST(value AS BLOB));
	 INSERT INTO meta (name, value) VALUES ('bytes', (SELECT COALESCE(SUM(size), 0) FROM items));
	 CREATE TRIGGER items_bytes_insert AFTER INSERT ON items BEGIN
		UPDATE meta SET value = value + NEW.size WHERE name = 'bytes';
	 END;
	 CREATE TRIGGER items_bytes_update AFTER UPDATE OF size ON items BEGIN
		UPDATE meta SET value = value + NEW.size - OLD.size WHERE name = 'bytes';
	 END;
	 CREATE TRIGGER items_bytes_delete AFTER DELETE ON items BEGIN
		UPDATE meta SET value = value - OLD.size WHERE name = 'bytes';
	 END;`,
	// Renderer grants revoked lately (RevokedGrants), so sockets opened with one afterwards are refused.
	`CREATE TABLE revoked_grants (grant_tag TEXT PRIMARY KEY, revoked_at INTEGER NOT NULL);`,
	// Deletes leave a tombstone with their stamp, so an older write delivered late never brings the item back;
	// the watermark is the stamp of the last replace or clear (writes stamped before it are discarded) and the
	// seq it took (a resume from before it gets a snapshot). Tombstones are kept at least TOMBSTONE_RETENTION_DAYS.
	// From here on triggers keep the item count too, however rows come and go (writes, deletes, replaces, caps).
	`CREATE TABLE tombstones (key TEXT PRIMARY KEY, stamp_at INTEGER NOT NULL, stamp_request TEXT NOT NULL, deleted_at INTEGER NOT NULL);
	 CREATE INDEX tombstones_by_age ON tombstones (deleted_at);
	 CREATE TABLE watermark (id INTEGER PRIMARY KEY CHECK (id = 1), stamp_at INTEGER NOT NULL, stamp_request TEXT NOT NULL, seq INTEGER NOT NULL);
	 INSERT INTO watermark (id, stamp_at, stamp_request, seq) VALUES (1, 0, '', 0);
	 INSERT INTO meta (name, value) VALUES ('last_write_at', 0);
	 UPDATE meta SET value = (SELECT COUNT(*) FROM items) WHERE name = 'item_count';
	 CREATE TRIGGER items_count_insert AFTER INSERT ON items BEGIN
		UPDATE meta SET value = value + 1 WHERE name = 'item_count';
	 END;
	 CREATE TRIGGER items_count_delete AFTER DELETE ON items BEGIN
		UPDATE meta SET value = value - 1 WHERE name = 'item_count';
	 END;`,
	// Fewer index writes per applied item (in workerd every B-tree write costs microseconds): the changelog keeps only
	// an index of its removals (resumes look them up; a written item's row touches no index) and is pruned by seq, the
	// order its rows come in, not through an index on their age; the trim's index of keyless items holds keyless rows
	// only, so a keyed write touches the items' key and seq indexes and nothing else.
	`DROP INDEX changelog_by_age;
	 DROP INDEX changelog_removed;
	 CREATE INDEX changelog_removals ON changelog (seq) WHERE removed = 1;
	 DROP INDEX items_keyless_by_seq;
	 CREATE INDEX items_keyless_by_seq ON items (seq) WHERE keyless = 1;`,
];

/** Brings the object's database up to date; cheap when it already is. */
export function migrate(sql: SqlStorage): void {
	// Durable Objects do not allow PRAGMA user_version, so the version lives in a table of its own.
	sql.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
	const row = sql.exec<{ version: number }>("SELECT version FROM schema_version").toArray()[0];
	let version = row?.version ?? 0;
	if (!row) sql.exec("INSERT INTO schema_version (version) VALUES (0)");
	for (; version < STREAM_MIGRATIONS.length; version++) {
		sql.exec(STREAM_MIGRATIONS[version] as string);
		sql.exec("UPDATE schema_version SET version = ?", version + 1);
	}
}
