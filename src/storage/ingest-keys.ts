import { newId } from "../model/ids";
import { type ConnectorRow, type Connector, toConnector } from "./connectors";

/** An ingest key as the API lists it: never the key itself. */
export interface IngestKeyInfo {
	id: string;
	prefix: string;
	created_at: string;
	revoked_at: string | null;
}

/** Stores a new key by its hash. */
export async function insertIngestKey(
	db: D1Database,
	connectorId: string,
	keyHash: string,
	prefix: string,
): Promise<IngestKeyInfo> {
	const info: IngestKeyInfo = { id: newId("key"), prefix, created_at: new Date().toISOString(), revoked_at: null };
	await db
		.prepare("INSERT INTO ingest_keys (id, connector_id, key_hash, prefix, created_at) VALUES (?, ?, ?, ?, ?)")
		.bind(info.id, connectorId, keyHash, prefix, info.created_at)
		.run();
	return info;
}

/** A connector's keys, newest first. */
export async function listIngestKeys(db: D1Database, connectorId: string): Promise<IngestKeyInfo[]> {
	const { results } = await db
		.prepare(
			"SELECT id, prefix, created_at, revoked_at FROM ingest_keys WHERE connector_id = ? ORDER BY created_at DESC, id DESC",
		)
		.bind(connectorId)
		.all<IngestKeyInfo>();
	return results;
}

/**
 * Revokes a key of a connector (revoking twice keeps the first time).
 * Returns the key and its hash, so the caller can drop it from the auth cache, or null.
 */
export async function revokeIngestKey(
	db: D1Database,
	connectorId: string,
	keyId: string,
): Promise<{ key: IngestKeyInfo; keyHash: string } | null> {
	const row = await db
		.prepare(
			`UPDATE ingest_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? AND connector_id = ?
			 RETURNING id, prefix, created_at, revoked_at, key_hash`,
		)
		.bind(new Date().toISOString(), keyId, connectorId)
		.first<IngestKeyInfo & { key_hash: string }>();
	if (!row) return null;
	const { key_hash, ...key } = row;
	return { key, keyHash: key_hash };
}

/** The active keys among these hashes, with their connectors: one query (the hashes travel as one JSON parameter). */
export async function findActiveIngestKeys(
	db: D1Database,
	keyHashes: string[],
): Promise<{ keyId: string; hash: string; connector: Connector }[]> {
	const { results } = await db
		.prepare(
			`SELECT k.id AS key_id, k.key_hash, c.id, c.name, c.stream, c.item_key, c.rate_limit_requests,
			        c.rate_limit_period_seconds, c.created_at, c.updated_at
			 FROM ingest_keys k JOIN connectors c ON c.id = k.connector_id
			 WHERE k.key_hash IN (SELECT value FROM json_each(?)) AND k.revoked_at IS NULL`,
		)
		.bind(JSON.stringify(keyHashes))
		.all<ConnectorRow & { key_id: string; key_hash: string }>();
	return results.map((row) => ({ keyId: row.key_id, hash: row.key_hash, connector: toConnector(row) }));
}

/** The statement that deletes the keys of connectors (ids as a JSON list). */
export function deleteIngestKeysOf(db: D1Database, connectorIdList: string): D1PreparedStatement {
	return db.prepare("DELETE FROM ingest_keys WHERE connector_id IN (SELECT value FROM json_each(?))").bind(connectorIdList);
}
