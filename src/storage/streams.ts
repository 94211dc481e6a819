/** A stream's row as the admin API lists it. */
export interface StreamRecord {
	name: string;
	created_at: string;
	connector_count: number;
	/** The stream's item schema, null when it has none. */
	schema: Record<string, unknown> | null;
}

interface StreamRow {
	name: string;
	created_at: string;
	connector_count: number;
	schema: string | null;
}

function toStream(row: StreamRow): StreamRecord {
	// The schema column holds JSON this API wrote; a value that is not an object would be a bug, shown as none.
	const parsed: unknown = row.schema === null ? null : JSON.parse(row.schema);
	const schema = parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
	return { name: row.name, created_at: row.created_at, connector_count: row.connector_count, schema };
}

const SELECT = `SELECT s.name, s.created_at, s.schema,
	(SELECT COUNT(*) FROM connectors c WHERE c.stream = s.name) AS connector_count
	FROM streams s`;

/** The statement that creates a stream's row unless it exists: run in the batch that creates a connector naming it. */
export function insertStreamIfMissing(db: D1Database, name: string, createdAt: string): D1PreparedStatement {
	return db.prepare("INSERT INTO streams (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING").bind(name, createdAt);
}

/** Every stream, by name. */
export async function listStreams(db: D1Database): Promise<StreamRecord[]> {
	const { results } = await db.prepare(`${SELECT} ORDER BY s.name`).all<StreamRow>();
	return results.map(toStream);
}

/** One stream, or null. */
export async function getStream(db: D1Database, name: string): Promise<StreamRecord | null> {
	const row = await db.prepare(`${SELECT} WHERE s.name = ?`).bind(name).first<StreamRow>();
	return row ? toStream(row) : null;
}

/** Whether the stream exists (a connector created it and it was not deleted since). */
export async function streamExists(db: D1Database, name: string): Promise<boolean> {
	const row = await db.prepare("SELECT 1 AS found FROM streams WHERE name = ?").bind(name).first();
	return row !== null;
}

/**
 * Deletes a stream's row, unless a connector names it again (one created while the
 * stream was being deleted): then the stream stays. Returns whether the row went.
 */
export async function deleteStreamRow(db: D1Database, name: string): Promise<boolean> {
	const result = await db
		.prepare("DELETE FROM streams WHERE name = ? AND NOT EXISTS (SELECT 1 FROM connectors WHERE stream = ?)")
		.bind(name, name)
		.run();
	return result.meta.changes > 0;
}

/** A stream's schema as the JSON text stored, or null when it has none (or there is no such stream). */
export async function getStreamSchemaText(db: D1Database, name: string): Promise<string | null> {
	const row = await db.prepare("SELECT schema FROM streams WHERE name = ?").bind(name).first<{ schema: string | null }>();
	return row?.schema ?? null;
}

/** Sets (or, with null, removes) a stream's schema. Returns false when there is no such stream. */
export async function setStreamSchema(db: D1Database, name: string, schema: Record<string, unknown> | null): Promise<boolean> {
	const result = await db
		.prepare("UPDATE streams SET schema = ? WHERE name = ?")
		.bind(schema === null ? null : JSON.stringify(schema), name)
		.run();
	return result.meta.changes > 0;
}
