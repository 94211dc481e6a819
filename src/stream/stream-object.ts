import { DurableObject } from "cloudflare:workers";
import { config } from "../model/config";
import { newRequestId } from "../model/ids";
import type { OperationPart, RequestEnvelope } from "../model/operation";
import { logRecord } from "../model/log-record";
import { Delivery } from "./delivery";
import { Changelog } from "./changelog";
import { ItemBatch } from "./item-batch";
import { ItemReader, type ReadRequest, type StreamItem, type StreamSummary } from "./item-reader";
import { readMembersStream } from "./read-body";
import { LogOutbox } from "./log-outbox";
import { LogWriter } from "./log-writer";
import { CLOSE, RendererHub, catchUpFrames } from "./renderers";
import type { DecidedOutcome } from "./request-apply";
import { type ClaimResult, DEDUPE_WINDOW_MS, type Outcome, type RequestOutcome, RequestLedger } from "./request-ledger";
import { migrate } from "./sql-schema";
import { DAY_MS, nextTombstoneExpiry, pruneTombstones } from "./tombstones";
import type { ReplayResult } from "./replay-result";
import { z } from "zod";

export type { ReplayResult } from "./replay-result";

const SocketQuery = z.object({
	since: z.coerce.number().int().min(0).optional(),
	grant: z.string().min(1).max(80),
	expires: z.coerce.number().int().min(0).optional(),
});

/** An admin's change to the stream, stamped like a request the edge received at `at`. */
export interface AdminChange {
	at: number;
	requestId: string;
}

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
	readonly #outbox: LogOutbox;
	/** When the alarm is set for (null: none), once read from storage; kept in step by every set. */
	#alarmAt: number | null | undefined;
	readonly #logs: LogWriter;
	readonly #delivery: Delivery;

	constructor(ctx: DurableObjectState, env: Env) {
		super(ctx, env);
		migrate(ctx.storage.sql);
		this.#ledger = new RequestLedger(ctx.storage.sql);
		this.#reader = new ItemReader(ctx.storage.sql);
		this.#changelog = new Changelog(ctx.storage.sql);
		this.#renderers = new RendererHub(ctx);
		this.#outbox = new LogOutbox(ctx.storage.sql);
		this.#logs = new LogWriter(this.#outbox, () => this.env);
		this.#delivery = new Delivery(ctx.storage, this.#ledger, this.#outbox);
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

	/** One item, or null. */
	async getItem(key: string): Promise<StreamItem | null> {
		return this.#reader.item(key);
	}

	/** The stream's counters: items, seq and when it was last written (null: never). */
	async summary(): Promise<StreamSummary> {
		return this.#reader.summary();
	}

	/**
	 * Deletes items now (an admin's delete), stamped like a write received at `at`:
	 * last writer wins against queued requests, and a tombstone keeps older writes out.
	 */
	async deleteItems(input: AdminChange & { keys: string[] }): Promise<{ deleted: boolean[] }> {
		let gone = new Set<string>();
		await this.#commit(Date.now(), (batch) => {
			gone = batch.delete(input.keys, { at: input.at, requestId: input.requestId });
		});
		return { deleted: input.keys.map((key) => gone.has(key)) };
	}

	/** Clears the stream now (an admin's clear: a replace with nothing), stamped like a write received at `at`. */
	async clearItems(input: AdminChange): Promise<{ removed: number }> {
		let removed = 0;
		await this.#commit(Date.now(), (batch) => {
			removed = batch.replace([], { at: input.at, requestId: input.requestId });
		});
		return { removed };
	}

	/**
	 * Deletes the stream's content for good (the stream is deleted): items, history and
	 * tombstones go, its renderers are closed with 4004, and a clear's watermark keeps
	 * requests queued before now out. The seq stays, so a stream made again under the
	 * name continues above it; the ledger stays, so nothing queued is applied twice.
	 */
	async destroy(input?: AdminChange): Promise<void> {
		const at = input?.at ?? Date.now();
		await this.clearItems({ at, requestId: input?.requestId ?? newRequestId(at) });
		this.ctx.storage.transactionSync(() => {
			for (const table of ["items", "changelog", "tombstones"]) this.ctx.storage.sql.exec(`DELETE FROM ${table}`);
		});
		this.#renderers.closeAll(CLOSE.deleted);
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
	 * Applies a delivery of queue messages and reports every request they belong to. A
	 * request is applied once all its parts are here, whole in one transaction, and at most
	 * once in 24 h whatever the number of deliveries. The delivery is split into as many
	 * transactions as TRANSACTION_LIMITS need, so that no delivery, however large, makes a
	 * transaction, a statement or the object's memory grow past a bound. Each request's log
	 * entry is stored in the transaction that decided it and reaches D1 through the log outbox.
	 */
	async applyMessages(messages: OperationPart[]): Promise<RequestOutcome[]> {
		const now = Date.now();
		const outcomes = new Map<string, RequestOutcome>();
		for (let next = 0; next < messages.length; ) {
			await this.#commit(now, (batch) => {
				next = this.#delivery.applyFrom(batch, messages, next, outcomes, now);
			});
		}
		return [...outcomes.values()];
	}

	/**
	 * Applies failed requests again (an admin's replay of dead letters): `messages` are
	 * the dead letters kept in D1; the parts that did reach the stream were kept in it.
	 * A request is applied only if it failed and all its parts are now at hand; one
	 * decided otherwise is left as it was. Requests are split over transactions like a delivery.
	 */
	async replayRequests(requestIds: string[], messages: OperationPart[]): Promise<ReplayResult[]> {
		const now = Date.now();
		const results: ReplayResult[] = [];
		for (let next = 0; next < requestIds.length; ) {
			await this.#commit(now, (batch) => {
				next = this.#delivery.replayFrom(batch, requestIds, next, messages, results, now);
			});
		}
		return results;
	}

	/** Runs `write` and the batch's bookkeeping in one transaction, then tells the renderers. */
	async #commit(now: number, write: (batch: ItemBatch) => void): Promise<void> {
		const settings = config(this.env);
		const changes = this.ctx.storage.transactionSync(() => {
			const batch = new ItemBatch(this.ctx.storage.sql, now);
			write(batch);
			const applied = batch.finish({ maxItems: settings.MAX_ITEMS_PER_STREAM, maxBytes: settings.MAX_STREAM_BYTES });
			this.#changelog.pruneIfDue(
				applied.to,
				{ maxEntries: settings.CHANGELOG_MAX_ENTRIES, maxAgeMs: settings.CHANGELOG_MAX_AGE_SECONDS * 1000 },
				now,
			);
			return applied;
		});
		// Sent in the same call that committed the writes: no renderer sees a change that was not saved.
		this.#renderers.broadcast(changes, () => this.#reader.read({}));
		await this.#wakeBy(Math.min(this.#logs.dueAt(now), now + config(this.env).PARTS_TIMEOUT_SECONDS * 1000));
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
	 * When due, expires stale parts (their requests end `failed`) and forgets decisions
	 * and claims older than 24 h, then writes the log outbox to D1. A failed log write
	 * is retried by a later alarm, doubling the wait; the entries stay stored until then.
	 * The housekeeping is the object's own business: a D1 outage does not hold it up.
	 */
	override async alarm(): Promise<void> {
		// The alarm that fired is spent; a write during this handler sets the next one.
		this.#alarmAt = null;
		const now = Date.now();
		const socketExpiry = this.#renderers.closeExpired(now);
		if (socketExpiry !== null) await this.#wakeBy(socketExpiry);
		const timeoutMs = config(this.env).PARTS_TIMEOUT_SECONDS * 1000;
		const due = this.#nextExpiry(timeoutMs);
		if (due !== null && due <= now) this.#expire(now, timeoutMs);
		await this.#logs.write(now);
		// Writes meanwhile schedule no earlier than a failed write's retry either (dueAt): the backoff holds under load.
		const next = [this.#nextExpiry(timeoutMs), this.#logs.hasPending() ? this.#logs.dueAt(Date.now()) : null];
		const at = next.filter((time): time is number => time !== null);
		if (at.length > 0) await this.#wakeBy(Math.min(...at));
	}

	/**
	 * Fails the requests whose parts have waited too long, and forgets what is older than
	 * the dedupe window. Their log entries go through the outbox, stored with the decision,
	 * so the log and the Idempotency-Key's release reach D1 and KV whenever they are up.
	 */
	#expire(now: number, timeoutMs: number): void {
		this.ctx.storage.transactionSync(() => {
			const records = this.#ledger.staleRequests(now, timeoutMs).map(({ envelope, present, parts }) => {
				const error = `Only ${present} of ${parts} parts arrived within ${timeoutMs / 1000} s.`;
				this.#ledger.decide({ request_id: envelope.request_id, status: "failed", error }, now);
				this.#ledger.releaseClaims(envelope.request_id);
				return logRecord(envelope, "failed", error);
			});
			this.#outbox.add(records);
			this.#ledger.prune(now);
			pruneTombstones(this.ctx.storage.sql, now - config(this.env).TOMBSTONE_RETENTION_DAYS * DAY_MS);
		});
	}

	/** When the ledger or the tombstones next have something to forget, or null. */
	#nextExpiry(timeoutMs: number): number | null {
		const times = [
			this.#ledger.nextExpiry(timeoutMs),
			nextTombstoneExpiry(this.ctx.storage.sql, config(this.env).TOMBSTONE_RETENTION_DAYS * DAY_MS),
		].filter((time): time is number => time !== null);
		return times.length > 0 ? Math.min(...times) : null;
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

