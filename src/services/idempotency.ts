import { logError } from "../model/log";
import type { IngestMode } from "../model/payload";
import { sha256Hex } from "./auth/secrets";
import { lookupIdempotency, rememberIdempotency } from "../storage/idempotency-keys";
import { streamStub } from "../stream/stub";

/** A request's Idempotency-Key, scoped to its connector and bound to what the request does. */
export interface IdempotencyScope {
	connectorId: string;
	stream: string;
	key: string;
	bodyHash: string;
}

/** An earlier request that holds the key: a replay of it when the bodies match, else a conflict (422). */
export interface EarlierUse {
	requestId: string;
	itemsReceived: number;
	sameBody: boolean;
}

/**
 * The Idempotency-Key protocol, in one place. Before queuing, KV answers most repeats at
 * the edge (`earlierUse`); KV is eventually consistent, so after queuing the stream's
 * object, the single writer that applies requests, is asked to claim the key (`claim`):
 * the first claim wins and the object refuses at apply time any other request with the
 * key. The winner is then cached in KV for the next repeats. When a request fails, its
 * stream releases the claim and storage/idempotency-keys.ts forgets the KV entry.
 */
export const idempotency = {
	/** What a key is bound to: the body, and the mode unless it is the default (the same body to delete is another request). */
	async bodyHash(mode: IngestMode, bytes: Uint8Array): Promise<string> {
		if (mode === "upsert") return sha256Hex(bytes);
		const head = new TextEncoder().encode(`${mode}\0`);
		const input = new Uint8Array(head.byteLength + bytes.byteLength);
		input.set(head, 0);
		input.set(bytes, head.byteLength);
		return sha256Hex(input);
	},

	/** The request that used the key in the last 24 h, as KV remembers it, or null. */
	async earlierUse(env: Env, scope: IdempotencyScope): Promise<EarlierUse | null> {
		const known = await lookupIdempotency(env.IDEMPOTENCY, scope.connectorId, scope.key);
		return known ? { requestId: known.request_id, itemsReceived: known.items_received, sameBody: known.body_hash === scope.bodyHash } : null;
	},

	/**
	 * Claims the key for a queued request in its stream; returns the earlier request that
	 * holds it, or null when this one does (then KV learns it, through `waitUntil`). If the
	 * stream cannot be reached the request stays queued and the stream decides on apply.
	 */
	async claim(env: Env, ctx: Pick<ExecutionContext, "waitUntil">, scope: IdempotencyScope, request: { requestId: string; itemsReceived: number }): Promise<EarlierUse | null> {
		try {
			const { connectorId, key, bodyHash } = scope;
			const claim = await streamStub(env, scope.stream).claimIdempotencyKey({ connectorId, key, bodyHash, ...request });
			if (claim.status === "replay") return { requestId: claim.request_id, itemsReceived: claim.items_received, sameBody: true };
			if (claim.status === "conflict") return { requestId: claim.request_id, itemsReceived: request.itemsReceived, sameBody: false };
		} catch (error) {
			logError("idempotency claim failed; the stream decides on apply", error, { request_id: request.requestId });
		}
		ctx.waitUntil(
			rememberIdempotency(env.IDEMPOTENCY, scope.connectorId, scope.key, {
				request_id: request.requestId,
				body_hash: scope.bodyHash,
				items_received: request.itemsReceived,
			}).catch((error: unknown) => logError("idempotency key not cached", error, { request_id: request.requestId })),
		);
		return null;
	},
};
