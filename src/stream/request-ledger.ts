import type { OperationPart, RequestEnvelope } from "../model/operation";
import { jsonChunks } from "./work-budget";

/** How a request ended in the stream. */
export type Outcome = "processed" | "duplicate" | "rejected" | "failed";

/** What the stream reports about a request after a delivery. */
export interface RequestOutcome {
	request_id: string;
	status: Outcome | "queued";
	error: string | null;
}

/** The answer to an idempotency claim. */
export type ClaimResult =
	| { status: "claimed" }
	| { status: "replay"; request_id: string; items_received: number }
	| { status: "conflict"; request_id: string };

/** How long decisions and idempotency keys are remembered. */
export const DEDUPE_WINDOW_MS = 24 * 60 * 60 * 1000;

/**
 * The stream's memory of requests: which were decided (so a redelivery is never
 * applied twice), which idempotency keys belong to which request, and the parts
 * of multi-message requests still waiting for their siblings.
 */
export class RequestLedger {
	constructor(readonly sql: SqlStorage) {}

	/** The recorded outcome of a request, if it was decided in the last 24 h. */
	decided(requestId: string): RequestOutcome | null {
		const row = this.sql
			.exec<{ outcome: Outcome; error: string | null }>("SELECT outcome, error FROM requests WHERE request_id = ?", requestId)
			.toArray()[0];
		return row ? { request_id: requestId, status: row.outcome, error: row.error } : null;
	}

	/** The recorded outcomes of those of `requestIds` decided in the last 24 h, in one query. */
	decidedAmong(requestIds: string[]): Map<string, RequestOutcome> {
		const rows = this.sql
			.exec<{ request_id: string; outcome: Outcome; error: string | null }>(
				"SELECT request_id, outcome, error FROM requests WHERE request_id IN (SELECT value FROM json_each(?))",
				JSON.stringify(requestIds),
			)
			.toArray();
		return new Map(rows.map((row) => [row.request_id, { request_id: row.request_id, status: row.outcome, error: row.error }]));
	}

	/**
	 * Records a request's outcome. A decided request's parts are forgotten, except a
	 * failed one's: they are kept for the dedupe window, so that replaying its dead
	 * letters finds the parts that did arrive.
	 */
	decide(outcome: RequestOutcome & { status: Outcome }, now: number): void {
		this.sql.exec(
			"INSERT OR REPLACE INTO requests (request_id, outcome, error, decided_at) VALUES (?, ?, ?, ?)",
			outcome.request_id,
			outcome.status,
			outcome.error,
			now,
		);
		if (outcome.status !== "failed") this.sql.exec("DELETE FROM parts WHERE request_id = ?", outcome.request_id);
	}

	/**
	 * Records the outcomes of requests that kept no parts (single-message ones), in one
	 * statement per 256 KB of rows, for a whole delivery.
	 */
	decideAll(outcomes: (RequestOutcome & { status: Outcome })[], now: number): void {
		for (const rows of jsonChunks(outcomes.map((outcome) => [outcome.request_id, outcome.status, outcome.error]))) {
			this.sql.exec(
				`INSERT OR REPLACE INTO requests (request_id, outcome, error, decided_at)
				 SELECT value ->> 0, value ->> 1, value ->> 2, ? FROM json_each(?)`,
				now,
				rows,
			);
		}
	}

	/** Keeps a message of a failed request (a single part too) with its siblings, for a replay. */
	keepPart(message: OperationPart, now: number): void {
		const { part, parts, body, ...envelope } = message;
		this.sql.exec(
			"INSERT OR IGNORE INTO parts (request_id, part, parts, envelope, body, arrived_at) VALUES (?, ?, ?, ?, ?, ?)",
			message.request_id,
			part,
			parts,
			JSON.stringify(envelope),
			body,
			now,
		);
	}

	/** What the stream holds of a request's parts: how many of how many, and the envelope they carry. */
	heldParts(requestId: string): { present: number; parts: number; bytes: number; envelope: RequestEnvelope } | null {
		const row = this.sql
			.exec<{ present: number; parts: number | null; bytes: number | null; envelope: string | null }>(
				"SELECT COUNT(*) AS present, MAX(parts) AS parts, SUM(length(body)) AS bytes, MIN(envelope) AS envelope FROM parts WHERE request_id = ?",
				requestId,
			)
			.one();
		if (row.parts === null || row.envelope === null) return null;
		return { present: row.present, parts: row.parts, bytes: row.bytes ?? 0, envelope: JSON.parse(row.envelope) as RequestEnvelope };
	}

	/** Forgets that a request failed, so a replay of its messages is applied. */
	forgetFailure(requestId: string): boolean {
		return this.sql.exec("DELETE FROM requests WHERE request_id = ? AND outcome = 'failed'", requestId).rowsWritten > 0;
	}

	/** Stores one part (a redelivered part is ignored) and says whether the request is now complete. */
	addPart(message: OperationPart, now: number): boolean {
		if (message.parts === 1) return true;
		this.keepPart(message, now);
		const { present } = this.sql
			.exec<{ present: number }>("SELECT COUNT(*) AS present FROM parts WHERE request_id = ?", message.request_id)
			.one();
		return present === message.parts;
	}

	/** The whole body of a complete multi-part request, its pieces joined in order. */
	assemble(requestId: string): string {
		return this.sql
			.exec<{ body: string }>("SELECT body FROM parts WHERE request_id = ? ORDER BY part", requestId)
			.toArray()
			.map((row) => row.body)
			.join("");
	}

	/**
	 * Claims an idempotency key of a connector for a request. The first request to
	 * claim it owns it for 24 h; later ones with the same body are replays of it,
	 * with another body conflicts.
	 */
	claim(
		input: { connectorId: string; key: string; bodyHash: string; requestId: string; itemsReceived: number },
		now: number,
	): ClaimResult {
		const row = this.sql
			.exec<{ body_hash: string; request_id: string; items_received: number; created_at: number }>(
				"SELECT body_hash, request_id, items_received, created_at FROM idempotency WHERE connector_id = ? AND key = ?",
				input.connectorId,
				input.key,
			)
			.toArray()[0];
		if (row && row.created_at > now - DEDUPE_WINDOW_MS) {
			if (row.request_id === input.requestId) return { status: "claimed" };
			if (row.body_hash !== input.bodyHash) return { status: "conflict", request_id: row.request_id };
			return { status: "replay", request_id: row.request_id, items_received: row.items_received };
		}
		this.sql.exec(
			`INSERT OR REPLACE INTO idempotency (connector_id, key, body_hash, request_id, items_received, created_at)
			 VALUES (?, ?, ?, ?, ?, ?)`,
			input.connectorId,
			input.key,
			input.bodyHash,
			input.requestId,
			input.itemsReceived,
			now,
		);
		return { status: "claimed" };
	}

	/** Releases the keys a failed request claimed, so the client can retry with them. */
	releaseClaims(requestId: string): void {
		this.sql.exec("DELETE FROM idempotency WHERE request_id = ?", requestId);
	}

	/** Undecided requests whose parts have waited longer than `timeoutMs`, with their envelope. */
	staleRequests(now: number, timeoutMs: number): { envelope: RequestEnvelope; present: number; parts: number }[] {
		return this.sql
			.exec<{ envelope: string; present: number; parts: number }>(
				`SELECT MIN(envelope) AS envelope, COUNT(*) AS present, MAX(parts) AS parts FROM parts
				 WHERE request_id NOT IN (SELECT request_id FROM requests)
				 GROUP BY request_id HAVING MIN(arrived_at) <= ?`,
				now - timeoutMs,
			)
			.toArray()
			.map((row) => ({ envelope: JSON.parse(row.envelope) as RequestEnvelope, present: row.present, parts: row.parts }));
	}

	/** Drops decisions (with the parts kept for failed ones) and claims older than the dedupe window. */
	prune(now: number): void {
		this.sql.exec(
			"DELETE FROM parts WHERE request_id IN (SELECT request_id FROM requests WHERE decided_at <= ?)",
			now - DEDUPE_WINDOW_MS,
		);
		this.sql.exec("DELETE FROM requests WHERE decided_at <= ?", now - DEDUPE_WINDOW_MS);
		this.sql.exec("DELETE FROM idempotency WHERE created_at <= ?", now - DEDUPE_WINDOW_MS);
	}

	/** When the ledger next has something to expire, or null. */
	nextExpiry(timeoutMs: number): number | null {
		const row = this.sql
			.exec<{ parts: number | null; requests: number | null; claims: number | null }>(
				`SELECT (SELECT MIN(arrived_at) FROM parts WHERE request_id NOT IN (SELECT request_id FROM requests)) AS parts,
				        (SELECT MIN(decided_at) FROM requests) AS requests,
				        (SELECT MIN(created_at) FROM idempotency) AS claims`,
			)
			.one();
		const times = [
			row.parts === null ? null : row.parts + timeoutMs,
			row.requests === null ? null : row.requests + DEDUPE_WINDOW_MS,
			row.claims === null ? null : row.claims + DEDUPE_WINDOW_MS,
		].filter((time): time is number => time !== null);
		return times.length > 0 ? Math.min(...times) : null;
	}
}
