import { logError } from "../model/log";
import { parsePayload } from "../model/payload";
import type { RequestEnvelope } from "../model/operation";
import type { ItemBatch } from "./item-batch";
import type { Outcome, RequestLedger, RequestOutcome } from "./request-ledger";

/** A request's outcome once the stream decided it. */
export type DecidedOutcome = RequestOutcome & { status: Outcome };

/**
 * Applies one complete request inside a savepoint (a nested transactionSync): if its
 * writes throw, only they are undone and the request fails, instead of the whole delivery
 * being retried until it is dead-lettered with every innocent request in it.
 */
export function applyIsolated(
	storage: DurableObjectStorage,
	ledger: RequestLedger,
	batch: ItemBatch,
	envelope: RequestEnvelope,
	text: string,
	now: number,
): DecidedOutcome {
	const mark = batch.mark();
	try {
		return storage.transactionSync(() => applyRequest(ledger, batch, envelope, text, now));
	} catch (error) {
		batch.rollback(mark);
		logError("request could not be applied", error, { request_id: envelope.request_id });
		const reason = error instanceof Error ? error.message : String(error);
		return { request_id: envelope.request_id, status: "failed", error: `The stream could not apply it: ${reason}` };
	}
}

/** Decides one complete request: parse, idempotency, then its last-writer-wins writes, deletes or replace. */
function applyRequest(ledger: RequestLedger, batch: ItemBatch, envelope: RequestEnvelope, text: string, now: number): DecidedOutcome {
	const id = envelope.request_id;
	let items;
	try {
		items = parsePayload(text, envelope.format, envelope.item_key, envelope.mode);
	} catch (error) {
		const message = error instanceof Error ? error.message : "The body could not be parsed.";
		return { request_id: id, status: "failed", error: `Invalid queued payload: ${message}` };
	}
	if (items.length !== envelope.items_received) {
		return { request_id: id, status: "failed", error: "The queued payload does not match the accepted request." };
	}
	if (envelope.idempotency_key !== null && envelope.body_hash !== null) {
		const claim = ledger.claim(
			{
				connectorId: envelope.connector_id,
				key: envelope.idempotency_key,
				bodyHash: envelope.body_hash,
				requestId: id,
				itemsReceived: envelope.items_received,
			},
			now,
		);
		if (claim.status === "replay") {
			return { request_id: id, status: "duplicate", error: `Idempotency-Key already applied by ${claim.request_id}.` };
		}
		if (claim.status === "conflict") {
			return { request_id: id, status: "rejected", error: `Idempotency-Key already used by ${claim.request_id} with a different body.` };
		}
	}
	const stamp = { at: envelope.received_at, requestId: id };
	if (envelope.mode === "delete") batch.delete(items.flatMap((item) => (item.key === null ? [] : [item.key])), stamp);
	else if (envelope.mode === "replace") batch.replace(items, stamp);
	else batch.write(items, stamp);
	return { request_id: id, status: "processed", error: null };
}
