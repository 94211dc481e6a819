import { type LogRecord, logRecord } from "../model/log-record";
import type { OperationPart, RequestEnvelope } from "../model/operation";
import type { ItemBatch } from "./item-batch";
import type { LogOutbox } from "./log-outbox";
import { type DecidedOutcome, applyIsolated } from "./request-apply";
import type { RequestLedger, RequestOutcome } from "./request-ledger";
import type { ReplayResult } from "./replay-result";
import { WorkBudget } from "./work-budget";

/**
 * How the stream decides the requests of a delivery (or of a replay) inside one open
 * transaction, within a WorkBudget: the caller commits, and calls again from where this
 * stopped, so a delivery of any size takes as many bounded transactions as it needs.
 */
export class Delivery {
	constructor(
		readonly storage: DurableObjectStorage,
		readonly ledger: RequestLedger,
		readonly outbox: LogOutbox,
	) {}

	/**
	 * Applies parts from `start` on, until the next complete request would not fit the
	 * budget; returns where the next transaction starts. A request is applied whole, in
	 * the transaction its last part reaches, and at most once in 24 h: one decided before
	 * keeps its outcome. Every request's log entry is stored in the outbox in the same transaction.
	 */
	applyFrom(batch: ItemBatch, parts: OperationPart[], start: number, outcomes: Map<string, RequestOutcome>, now: number): number {
		const budget = new WorkBudget();
		// One query for this transaction's parts; what this loop decides is in `outcomes`.
		const known = this.ledger.decidedAmong(parts.slice(start).map((part) => part.request_id));
		// Decisions of single-part requests, recorded together after the loop.
		const singles: DecidedOutcome[] = [];
		const logged: LogRecord[] = [];
		let index = start;
		for (; index < parts.length; index++) {
			const part = parts[index] as OperationPart;
			const id = part.request_id;
			const here = outcomes.get(id);
			const decided = here && here.status !== "queued" ? here : known.get(id);
			if (decided) {
				// A late part of a failed request joins its siblings, for a replay.
				if (decided.status === "failed") this.ledger.keepPart(part, now);
				outcomes.set(id, decided);
				// A redelivery logs its request again: the entry may be what was lost last time.
				logged.push(logRecord(part, decided.status, decided.error));
				continue;
			}
			// A stored part is bytes written too.
			const partBytes = part.parts === 1 ? 0 : part.body.length;
			if (!budget.fits(0, partBytes)) break;
			if (!this.ledger.addPart(part, now)) {
				budget.take(0, partBytes);
				outcomes.set(id, { request_id: id, status: "queued", error: null });
				logged.push(logRecord(part, "queued", null));
				continue;
			}
			// Its last part is stored (and kept if this transaction ends here): the request's size includes it.
			const requestBytes = part.parts === 1 ? part.body.length : part.parts * part.body.length;
			if (!budget.fits(part.items_received, requestBytes)) break;
			budget.take(part.items_received, requestBytes);
			const text = part.parts === 1 ? part.body : this.ledger.assemble(id);
			// A single-part request stored no parts (unless it fails, after this).
			const outcome = this.#decide(batch, part, text, now, part.parts === 1 ? singles : null);
			if (outcome.status === "failed") this.ledger.keepPart(part, now);
			outcomes.set(id, outcome);
			logged.push(logRecord(part, outcome.status, outcome.error));
		}
		this.ledger.decideAll(singles, now);
		this.outbox.add(latestPerRequest(logged));
		return index;
	}

	/**
	 * Applies failed requests again from `start` on (an admin's replay of dead letters),
	 * within the budget; returns where the next transaction starts. `deadLetters` are the
	 * parts kept in D1; those that reached the stream were kept in it. A request is
	 * applied only if it failed and all its parts are at hand; one decided otherwise is left.
	 */
	replayFrom(batch: ItemBatch, requestIds: string[], start: number, deadLetters: OperationPart[], results: ReplayResult[], now: number): number {
		const budget = new WorkBudget();
		let next = start;
		for (; next < requestIds.length; next++) {
			const id = requestIds[next] as string;
			const decided = this.ledger.decided(id);
			if (decided && decided.status !== "failed") {
				results.push({ request_id: id, status: "not_failed", error: `Already ${decided.status}.` });
				continue;
			}
			for (const part of deadLetters) if (part.request_id === id) this.ledger.keepPart(part, now);
			const held = this.ledger.heldParts(id);
			if (!held) {
				results.push({ request_id: id, status: "not_found", error: "Neither the stream nor the dead letters hold this request." });
				continue;
			}
			if (held.present < held.parts) {
				results.push({ request_id: id, status: "incomplete", error: `Only ${held.present} of ${held.parts} parts are kept.` });
				continue;
			}
			if (!budget.fits(held.envelope.items_received, held.bytes)) break;
			budget.take(held.envelope.items_received, held.bytes);
			this.ledger.forgetFailure(id);
			results.push(this.#decide(batch, held.envelope, this.ledger.assemble(id), now));
		}
		return next;
	}

	/**
	 * Decides a complete request and records the outcome; a failure releases its idempotency
	 * keys. A request that kept no parts may have its outcome added to `deferred` instead,
	 * for the caller to record with others in one statement (`decideAll`).
	 */
	#decide(batch: ItemBatch, envelope: RequestEnvelope, text: string, now: number, deferred: DecidedOutcome[] | null = null): DecidedOutcome {
		const outcome = applyIsolated(this.storage, this.ledger, batch, envelope, text, now);
		if (deferred) deferred.push(outcome);
		else this.ledger.decide(outcome, now);
		if (outcome.status === "failed") this.ledger.releaseClaims(envelope.request_id);
		return outcome;
	}
}

/** The last log entry of each request, in the order requests were first seen. */
function latestPerRequest(records: LogRecord[]): LogRecord[] {
	const latest = new Map<string, LogRecord>();
	for (const record of records) latest.set(record.request_id, record);
	return [...latest.values()];
}
