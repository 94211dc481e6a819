import { DurableObject } from "cloudflare:workers";
import { config } from "../core/config";
import type { IngestMessage, RequestEnvelope } from "../queue/messages";
import { type LogRecord, markFailed } from "../storage/connector-logs";
import { logRecord } from "../queue/outcomes";
import { forgetFailedKeys } from "../ingest/idempotency";
import { Changelog } from "./changelog";
import { type Fault, FaultSwitch } from "./fault-switch";
import { ItemBatch } from "./item-batch";
import { ItemReader, type ReadRequest } from "./item-reader";
import { readMembersStream } from "./read-body";
import { LogOutbox } from "./log-outbox";
import { LogWriter } from "./log-writer";
import { RendererHub, catchUpFrames } from "./renderers";
import { type DecidedOutcome, applyIsolated } from "./request-apply";
import { type ClaimResult, DEDUPE_WINDOW_MS, type Outcome, type RequestOutcome, RequestLedger } from "./request-ledger";
import { migrate } from "./sql-schema";
import { z } from "zod";

/** What a replay did to one request: applied again (its new outcome), or why not. */
export interface ReplayResult {
	request_id: string;
	status: Outcome | "not_failed" | "incomplete" | "not_found";
	error: string | null;
}

const SocketQuery = z.object({
	since: z.coerce.number().int().min(0).optional(),
	grant: z.string().min(1).max(80),
	expires: z.coerce.number().int().min(0).optional(),
});

/** A claim on an idempotency key, made at the edge once a request is queued. */
export interface ClaimInput {
	connectorId: string;
	key: string;
	bodyHash: string;
	requestId: string;
	itemsReceived: number;
}

/**
 * One object per stream: the single writer of the stream's items (SQLite), the
 * authority on what was already applied, and the hub its renderers connect to.
 */
export class StreamObject extends DurableObject<Env> {
	readonly #ledger: RequestLedger;
	readonly #reader: ItemReader;
	readonly #changelog: Changelog;
	readonly #renderers: RendererHub;
	readonly #faults: FaultSwitch;
	readonly #outbox: LogOutbox;
	/** When the alarm is set for (null: none), once read from storage; kept in step by every set. */
	#alarmAt: number | null | undefined;
	readonly #logs: LogWriter;

	constructor(ctx: DurableObjectState, env: Env) {
		super(ctx, env);
		migrate(ctx.storage.sql);
		this.#ledger = new RequestLedger(ctx.storage.sql);
		this.#reader = new ItemReader(ctx.storage.sql);
		this.#changelog = new Changelog(ctx.storage.sql);
		this.#renderers = new RendererHub(ctx);
		this.#faults = new FaultSwitch(ctx.storage);
		this.#outbox = new LogOutbox(ctx.storage.sql);
		this.#logs = new LogWriter(this.#outbox, () => this.env);
	}

	/**
	 * Opens a renderer socket. Only the Worker reaches this, after it checked the
	 * token and the stream; it passes the grant (token id or ticket) to tag the socket
	 * and, for a ticket, when it expires.
	 */
	override async fetch(request: Request): Promise<Response> {
		const url = new URL(request.url);
		const query = SocketQuery.safeParse(Object.fromEntries(url.searchParams));
		if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket" || !query.success) {
			return new Response("Expected a WebSocket upgrade from the Worker.", { status: 400 });
		}
		const { since, grant, expires } = query.data;
		// The frames are built from the stream as they are sent, all in this turn: one consistent catch-up.
		const catchUp = () => catchUpFrames(this.#reader.read(since === undefined ? {} : { since }), since);
		const now = Date.now();
		const socket = this.#renderers.open({ grant, expiresAt: expires ?? null }, catchUp, now);
		// The alarm closes the socket when its ticket expires.
		if (expires !== undefined && expires > now) await this.#wakeBy(expires);
		return new Response(null, { status: 101, webSocket: socket });
	}

	override async webSocketMessage(socket: WebSocket, message: string | ArrayBuffer): Promise<void> {
		this.#renderers.onMessage(socket, message, (since) => this.#reader.read(since === undefined ? {} : { since }), Date.now());
	}

	override async webSocketClose(socket: WebSocket, code: number, reason: string): Promise<void> {
		try {
			socket.close(code, reason);
		} catch {
			// The runtime already answered the close.
		}
	}

	/** Closes the sockets a revoked renderer token opened, and refuses those it opens later; returns how many closed. */
	async closeRenderers(grant: string): Promise<number> {
		return this.#renderers.revoke(grant, Date.now());
	}

	/** How many renderers are connected. */
	async rendererCount(): Promise<number> {
		return this.#renderers.count();
	}

	/**
	 * The stream's items, as a byte stream of the members of a JSON object (see read-body.ts):
	 * a resume after `since` if retained, else a snapshot (paged by after/limit), read in one turn.
	 */
	read(request: ReadRequest): ReadableStream<Uint8Array> {
		return readMembersStream(this.#reader.read(request));
	}

	/** Bytes of SQLite storage the object uses (for the scale benchmark). */
	async storageBytes(): Promise<number> {
		return this.ctx.storage.sql.databaseSize;
	}

	/** Claims an idempotency key for a request (see RequestLedger.claim). */
	async claimIdempotencyKey(input: ClaimInput): Promise<ClaimResult> {
		const now = Date.now();
		const result = this.#ledger.claim(input, now);
		await this.#wakeBy(now + DEDUPE_WINDOW_MS);
		return result;
	}

	/**
	 * Applies a delivery of queue messages in one transaction and reports every
	 * request they belong to. A request is applied once all its parts are here, and
	 * at most once in 24 h whatever the number of deliveries. Each request's log entry
	 * is stored in the same transaction and reaches D1 through the log outbox.
	 */
	async applyMessages(messages: IngestMessage[]): Promise<RequestOutcome[]> {
		const fault = await this.#takeFault("apply");
		if (fault?.kind === "throw") throw new Error("Injected fault: the stream failed before applying.");
		if (fault?.kind === "slow") await scheduler.wait(fault.delay_ms);
		const now = Date.now();
		const outcomes = new Map<string, RequestOutcome>();
		await this.#commit(now, (batch) => {
			// One query for the whole delivery; what this loop decides is in `outcomes`.
			const known = this.#ledger.decidedAmong(messages.map((message) => message.request_id));
			// Decisions of single-message requests, recorded together after the loop.
			const singles: DecidedOutcome[] = [];
			for (const message of messages) {
				const id = message.request_id;
				const here = outcomes.get(id);
				const decided = here && here.status !== "queued" ? here : known.get(id);
				if (decided) {
					// A late part of a failed request joins its siblings, for a replay.
					if (decided.status === "failed") this.#ledger.keepPart(message, now);
					outcomes.set(id, decided);
					continue;
				}
				if (!this.#ledger.addPart(message, now)) {
					outcomes.set(id, { request_id: id, status: "queued", error: null });
					continue;
				}
				const text = message.parts === 1 ? message.body : this.#ledger.assemble(id);
				// A single-message request stored no parts (unless it fails, after this).
				const outcome = this.#decide(batch, message, text, now, message.parts === 1 ? singles : null);
				if (outcome.status === "failed") this.#ledger.keepPart(message, now);
				outcomes.set(id, outcome);
				// The writes so far are in the open transaction: the reset throws them away with it.
				if (fault?.kind === "abort") this.ctx.abort("Injected fault: the object was reset mid-batch.");
			}
			this.#ledger.decideAll(singles, now);
			// A redelivery logs its request again: the entry may be what was lost last time.
			const envelopes = new Map(messages.map((message) => [message.request_id, message]));
			this.#outbox.add(
				[...outcomes.values()].flatMap((outcome) => {
					const envelope = envelopes.get(outcome.request_id);
					return envelope ? [logRecord(envelope, outcome.status, outcome.error)] : [];
				}),
			);
		});
		if (fault?.kind === "lost_reply") throw new Error("Injected fault: the batch was applied but the reply was lost.");
		return [...outcomes.values()];
	}

	/**
	 * Applies failed requests again (an admin's replay of dead letters): `messages` are
	 * the dead letters kept in D1; the parts that did reach the stream were kept in it.
	 * A request is applied only if it failed and all its parts are now at hand; one
	 * decided otherwise is left as it was.
	 */
	async replayRequests(requestIds: string[], messages: IngestMessage[]): Promise<ReplayResult[]> {
		const now = Date.now();
		const results: ReplayResult[] = [];
		await this.#commit(now, (batch) => {
			for (const id of requestIds) {
				const decided = this.#ledger.decided(id);
				if (decided && decided.status !== "failed") {
					results.push({ request_id: id, status: "not_failed", error: `Already ${decided.status}.` });
					continue;
				}
				for (const message of messages) if (message.request_id === id) this.#ledger.keepPart(message, now);
				const held = this.#ledger.heldParts(id);
				if (!held) {
					results.push({ request_id: id, status: "not_found", error: "Neither the stream nor the dead letters hold this request." });
					continue;
				}
				if (held.present < held.parts) {
					results.push({ request_id: id, status: "incomplete", error: `Only ${held.present} of ${held.parts} parts are kept.` });
					continue;
				}
				this.#ledger.forgetFailure(id);
				results.push(this.#decide(batch, held.envelope, this.#ledger.assemble(id), now));
			}
		});
		return results;
	}

	/**
	 * Decides a complete request and records the outcome; a failure releases its idempotency
	 * keys. A request that kept no parts may have its outcome added to `deferred` instead,
	 * for the caller to record with others in one statement (`decideAll`).
	 */
	#decide(batch: ItemBatch, envelope: RequestEnvelope, text: string, now: number, deferred: DecidedOutcome[] | null = null): DecidedOutcome {
		const outcome = applyIsolated(this.ctx.storage, this.#ledger, batch, envelope, text, now);
		if (deferred) deferred.push(outcome);
		else this.#ledger.decide(outcome, now);
		if (outcome.status === "failed") this.#ledger.releaseClaims(envelope.request_id);
		return outcome;
	}

	/** Runs `write` and the batch's bookkeeping in one transaction, then tells the renderers. */
	async #commit(now: number, write: (batch: ItemBatch) => void): Promise<void> {
		const settings = config(this.env);
		const changes = this.ctx.storage.transactionSync(() => {
			const batch = new ItemBatch(this.ctx.storage.sql, now);
			write(batch);
			const applied = batch.finish(settings.MAX_ITEMS_PER_STREAM);
			this.#changelog.pruneIfDue(
				applied.to,
				{ maxEntries: settings.CHANGELOG_MAX_ENTRIES, maxAgeMs: settings.CHANGELOG_MAX_AGE_SECONDS * 1000 },
				now,
			);
			return applied;
		});
		// Sent in the same call that committed the writes: no renderer sees a change that was not saved.
		this.#renderers.broadcast(changes);
		await this.#wakeBy(Math.min(this.#logs.dueAt(now), now + config(this.env).PARTS_TIMEOUT_SECONDS * 1000));
	}

	/** Arms an injected fault (test servers only, FAULT_INJECTION="1"); returns every fault armed. */
	async armFault(fault: Fault): Promise<Fault[]> {
		if (!config(this.env).FAULT_INJECTION) throw new Error("Fault injection is off.");
		return this.#faults.arm(fault);
	}

	/** The faults armed (test servers only). */
	async listFaults(): Promise<Fault[]> {
		if (!config(this.env).FAULT_INJECTION) throw new Error("Fault injection is off.");
		return this.#faults.list();
	}

	/** Disarms every fault (test servers only). */
	async clearFaults(): Promise<void> {
		if (!config(this.env).FAULT_INJECTION) throw new Error("Fault injection is off.");
		await this.#faults.clear();
	}

	/** Takes one strike of a fault armed at `site`; always null in production. */
	async takeFault(site: Fault["site"]): Promise<Fault | null> {
		return this.#takeFault(site);
	}

	async #takeFault(site: Fault["site"]): Promise<Fault | null> {
		return config(this.env).FAULT_INJECTION ? this.#faults.take(site) : null;
	}

	/**
	 * Gives up on requests that will never complete (dead-lettered), releasing their
	 * idempotency keys. Returns every request's outcome: one decided before stays as it was.
	 */
	async abandonRequests(requestIds: string[], error: string): Promise<RequestOutcome[]> {
		const now = Date.now();
		const outcomes = this.ctx.storage.transactionSync(() =>
			requestIds.map((id) => {
				const decided = this.#ledger.decided(id);
				if (decided) return decided;
				const outcome: DecidedOutcome = { request_id: id, status: "failed", error };
				this.#ledger.decide(outcome, now);
				this.#ledger.releaseClaims(id);
				return outcome;
			}),
		);
		await this.#wakeBy(now + DEDUPE_WINDOW_MS);
		return outcomes;
	}

	/**
	 * Writes the log outbox to D1, then, when due, expires stale parts (their requests
	 * end `failed`) and forgets decisions and claims older than 24 h. A failed log write
	 * is retried by a later alarm, doubling the wait; the entries stay stored until then.
	 */
	override async alarm(): Promise<void> {
		// The alarm that fired is spent; a write during this handler sets the next one.
		this.#alarmAt = null;
		const now = Date.now();
		const socketExpiry = this.#renderers.closeExpired(now);
		if (socketExpiry !== null) await this.#wakeBy(socketExpiry);
		if (!(await this.#logs.write(now))) {
			// Writes meanwhile schedule no earlier than the retry either (dueAt): the backoff holds under load.
			await this.#wakeBy(this.#logs.dueAt(now));
			return;
		}
		const timeoutMs = config(this.env).PARTS_TIMEOUT_SECONDS * 1000;
		const due = this.#ledger.nextExpiry(timeoutMs);
		if (due !== null && due <= now) await this.#expire(now, timeoutMs);
		const next = [this.#ledger.nextExpiry(timeoutMs), this.#logs.hasPending() ? this.#logs.dueAt(Date.now()) : null];
		const at = next.filter((time): time is number => time !== null);
		if (at.length > 0) await this.#wakeBy(Math.min(...at));
	}

	/** Fails the requests whose parts have waited too long, and forgets what is older than the dedupe window. */
	async #expire(now: number, timeoutMs: number): Promise<void> {
		const records: LogRecord[] = this.#ledger
			.staleRequests(now, timeoutMs)
			.map(({ envelope, present, parts }) =>
				logRecord(envelope, "failed", `Only ${present} of ${parts} parts arrived within ${timeoutMs / 1000} s.`),
			);
		// Outside writes first: decided here, a request is never stale again, so a failed write after the decision
		// would leave its log `queued`, or its Idempotency-Key answering replays at the edge, for good.
		await markFailed(this.env.DB, records);
		await forgetFailedKeys(this.env, records);
		this.ctx.storage.transactionSync(() => {
			for (const record of records) {
				// A late part may have completed it while the log was written.
				if (this.#ledger.decided(record.request_id)) continue;
				this.#ledger.decide({ request_id: record.request_id, status: "failed", error: record.error }, now);
				this.#ledger.releaseClaims(record.request_id);
			}
			this.#ledger.prune(now);
		});
	}

	/**
	 * Makes sure the alarm fires by `at`. Every write that leaves something to expire or
	 * to write out calls it with the earliest time that may need the alarm; an alarm set
	 * earlier already covers it (the alarm works out the exact next time when it runs),
	 * so under load this costs no storage operation.
	 */
	async #wakeBy(at: number): Promise<void> {
		if (this.#alarmAt === undefined) this.#alarmAt = await this.ctx.storage.getAlarm();
		if (this.#alarmAt !== null && this.#alarmAt <= at) return;
		this.#alarmAt = at;
		await this.ctx.storage.setAlarm(at);
	}
}
