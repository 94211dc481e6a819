import { logError } from "../model/log";
import { OperationPart } from "../model/operation";

/** A dead-lettered request as the admin API lists it. */
export interface DeadLetter {
	request_id: string;
	connector_id: string;
	stream: string;
	parts: number;
	parts_dead_lettered: number;
	dead_at: string;
	replayed_at: string | null;
}

// One D1 batch of dead letters stays well inside a request's limits however large the messages (up to 128 KB each).
const CHUNK_BYTES = 1_000_000;
const CHUNK_MESSAGES = 50;

/** Cuts messages, in order, into runs for one `storeDeadLetters` call each, by their stored bytes (a message over the budget goes alone). */
export function deadLetterChunks(messages: OperationPart[], maxBytes = CHUNK_BYTES, maxCount = CHUNK_MESSAGES): OperationPart[][] {
	const encoder = new TextEncoder();
	const chunks: OperationPart[][] = [];
	let current: OperationPart[] = [];
	let bytes = 0;
	for (const message of messages) {
		const size = encoder.encode(JSON.stringify(message)).byteLength;
		if (current.length > 0 && (bytes + size > maxBytes || current.length >= maxCount)) {
			chunks.push(current);
			current = [];
			bytes = 0;
		}
		current.push(message);
		bytes += size;
	}
	if (current.length > 0) chunks.push(current);
	return chunks;
}

/**
 * Keeps dead-lettered messages for a replay, all or none (one D1 batch). Storing a
 * message again (the dead-letter queue redelivered it, or a replayed request died
 * again) makes it pending again, so a retried store is harmless.
 */
export async function storeDeadLetters(db: D1Database, messages: OperationPart[]): Promise<void> {
	if (messages.length === 0) return;
	const now = new Date().toISOString();
	const insert = db.prepare(
		`INSERT INTO dead_letters (request_id, part, parts, connector_id, stream, message, dead_at, replayed_at)
		 VALUES (?, ?, ?, ?, ?, ?, ?, NULL)
		 ON CONFLICT (request_id, part) DO UPDATE SET dead_at = excluded.dead_at, replayed_at = NULL`,
	);
	await db.batch(
		messages.map((message) =>
			insert.bind(message.request_id, message.part, message.parts, message.connector_id, message.stream, JSON.stringify(message), now),
		),
	);
}

/** The stored messages of these requests (any that no longer parse are logged and skipped). */
export async function loadDeadLetters(db: D1Database, requestIds: string[]): Promise<OperationPart[]> {
	if (requestIds.length === 0) return [];
	const { results } = await db
		.prepare(`SELECT message FROM dead_letters WHERE request_id IN (SELECT value FROM json_each(?)) ORDER BY request_id, part`)
		.bind(JSON.stringify(requestIds))
		.all<{ message: string }>();
	return results.flatMap((row) => {
		const parsed = OperationPart.safeParse(JSON.parse(row.message));
		if (parsed.success) return [parsed.data];
		logError("stored dead letter no longer parses", parsed.error);
		return [];
	});
}

/** Marks requests as replayed (they were applied, or were decided otherwise meanwhile). */
export async function markReplayed(db: D1Database, requestIds: string[]): Promise<void> {
	if (requestIds.length === 0) return;
	await db
		.prepare("UPDATE dead_letters SET replayed_at = ? WHERE request_id IN (SELECT value FROM json_each(?))")
		.bind(new Date().toISOString(), JSON.stringify(requestIds))
		.run();
}

/** Dead-lettered requests, oldest first: all of them, or those still waiting for a replay. */
export async function listDeadLetters(
	db: D1Database,
	options: { connectorId?: string; pendingOnly: boolean; limit: number },
): Promise<DeadLetter[]> {
	const where: string[] = [];
	const values: (string | number)[] = [];
	if (options.connectorId !== undefined) {
		where.push("connector_id = ?");
		values.push(options.connectorId);
	}
	const having = options.pendingOnly ? "HAVING COUNT(replayed_at) < COUNT(*)" : "";
	const { results } = await db
		.prepare(
			`SELECT request_id, MIN(connector_id) AS connector_id, MIN(stream) AS stream, MAX(parts) AS parts,
			        COUNT(*) AS parts_dead_lettered, MIN(dead_at) AS dead_at, MIN(replayed_at) AS replayed_at
			 FROM dead_letters ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
			 GROUP BY request_id ${having} ORDER BY MIN(dead_at), request_id LIMIT ?`,
		)
		.bind(...values, options.limit)
		.all<DeadLetter>();
	return results;
}

/** Where a request to replay lives and how its log says it ended (null: no log entry). */
export interface ReplayTarget {
	request_id: string;
	connector_id: string;
	stream: string;
	status: string | null;
}

/** The stream and log status of each request id that the connector log or the dead letters know. */
export async function replayTargets(db: D1Database, requestIds: string[]): Promise<ReplayTarget[]> {
	if (requestIds.length === 0) return [];
	const ids = JSON.stringify(requestIds);
	const [logged, dead] = await db.batch<ReplayTarget>([
		db
			.prepare(
				`SELECT l.request_id, l.connector_id, c.stream, l.status FROM connector_logs l JOIN connectors c ON c.id = l.connector_id
				 WHERE l.request_id IN (SELECT value FROM json_each(?))`,
			)
			.bind(ids),
		db
			.prepare(
				`SELECT request_id, MIN(connector_id) AS connector_id, MIN(stream) AS stream, NULL AS status FROM dead_letters
				 WHERE request_id IN (SELECT value FROM json_each(?)) GROUP BY request_id`,
			)
			.bind(ids),
	]);
	const targets = new Map<string, ReplayTarget>();
	for (const row of [...(dead?.results ?? []), ...(logged?.results ?? [])]) targets.set(row.request_id, row);
	return [...targets.values()];
}

/** The oldest failed requests of a connector, by its log. */
export async function failedRequestIds(db: D1Database, connectorId: string, limit: number): Promise<string[]> {
	const { results } = await db
		.prepare("SELECT request_id FROM connector_logs WHERE connector_id = ? AND status = 'failed' ORDER BY received_at, request_id LIMIT ?")
		.bind(connectorId, limit)
		.all<{ request_id: string }>();
	return results.map((row) => row.request_id);
}
