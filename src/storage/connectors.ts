import type { Connector, RateLimit } from "../model/connector";
import { newId } from "../model/ids";
import { insertStreamIfMissing } from "./streams";

export type { Connector, RateLimit } from "../model/connector";

/** A connector row as D1 stores it. */
export interface ConnectorRow {
	id: string;
	name: string;
	stream: string;
	item_key: string | null;
	rate_limit_requests: number | null;
	rate_limit_period_seconds: number | null;
	created_at: string;
	updated_at: string;
}

/** Maps a D1 row to the API shape. */
export function toConnector(row: ConnectorRow): Connector {
	return {
		id: row.id,
		name: row.name,
		stream: row.stream,
		item_key: row.item_key,
		rate_limit:
			row.rate_limit_requests !== null && row.rate_limit_period_seconds !== null
				? { requests: row.rate_limit_requests, period_seconds: row.rate_limit_period_seconds }
				: null,
		created_at: row.created_at,
		updated_at: row.updated_at,
	};
}

const COLUMNS =
	"id, name, stream, item_key, rate_limit_requests, rate_limit_period_seconds, created_at, updated_at";

/** Creates a connector, and its stream if this is the first connector to name it. */
export async function createConnector(
	db: D1Database,
	input: { name: string; stream: string; item_key: string | null; rate_limit: RateLimit | null },
): Promise<Connector> {
	const now = new Date().toISOString();
	const row: ConnectorRow = {
		id: newId("con"),
		name: input.name,
		stream: input.stream,
		item_key: input.item_key,
		rate_limit_requests: input.rate_limit?.requests ?? null,
		rate_limit_period_seconds: input.rate_limit?.period_seconds ?? null,
		created_at: now,
		updated_at: now,
	};
	await db.batch([
		insertStreamIfMissing(db, row.stream, now),
		db
			.prepare(`INSERT INTO connectors (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
			.bind(
				row.id,
				row.name,
				row.stream,
				row.item_key,
				row.rate_limit_requests,
				row.rate_limit_period_seconds,
				row.created_at,
				row.updated_at,
			),
	]);
	return toConnector(row);
}

/** Every connector, oldest first. */
export async function listConnectors(db: D1Database): Promise<Connector[]> {
	const { results } = await db.prepare(`SELECT ${COLUMNS} FROM connectors ORDER BY created_at, id`).all<ConnectorRow>();
	return results.map(toConnector);
}

/** One connector, or null. */
export async function getConnector(db: D1Database, id: string): Promise<Connector | null> {
	const row = await db.prepare(`SELECT ${COLUMNS} FROM connectors WHERE id = ?`).bind(id).first<ConnectorRow>();
	return row ? toConnector(row) : null;
}

/** Applies a partial update; fields left `undefined` keep their value. Returns null if there is no such connector. */
export async function updateConnector(
	db: D1Database,
	id: string,
	patch: { name?: string; item_key?: string | null; rate_limit?: RateLimit | null },
): Promise<Connector | null> {
	const sets: string[] = [];
	const values: (string | number | null)[] = [];
	if (patch.name !== undefined) {
		sets.push("name = ?");
		values.push(patch.name);
	}
	if (patch.item_key !== undefined) {
		sets.push("item_key = ?");
		values.push(patch.item_key);
	}
	if (patch.rate_limit !== undefined) {
		sets.push("rate_limit_requests = ?", "rate_limit_period_seconds = ?");
		values.push(patch.rate_limit?.requests ?? null, patch.rate_limit?.period_seconds ?? null);
	}
	sets.push("updated_at = ?");
	values.push(new Date().toISOString());
	const row = await db
		.prepare(`UPDATE connectors SET ${sets.join(", ")} WHERE id = ? RETURNING ${COLUMNS}`)
		.bind(...values, id)
		.first<ConnectorRow>();
	return row ? toConnector(row) : null;
}

/** The connectors that name a stream, oldest first. */
export async function listConnectorsOf(db: D1Database, stream: string): Promise<Connector[]> {
	const { results } = await db
		.prepare(`SELECT ${COLUMNS} FROM connectors WHERE stream = ? ORDER BY created_at, id`)
		.bind(stream)
		.all<ConnectorRow>();
	return results.map(toConnector);
}

/** The statement that deletes connectors by id (a JSON list), returning their rows. */
export function deleteConnectorsStatement(db: D1Database, idList: string): D1PreparedStatement {
	return db.prepare(`DELETE FROM connectors WHERE id IN (SELECT value FROM json_each(?)) RETURNING ${COLUMNS}`).bind(idList);
}
