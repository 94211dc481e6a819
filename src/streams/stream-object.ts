import { DurableObject } from "cloudflare:workers";
import { config } from "../core/config";
import { logError } from "../core/log";
import { ApiError } from "../http/errors";
import { parsePayload } from "../ingest/payload";
import type { IngestMessage, RequestEnvelope } from "../queue/messages";
import { markFailed } from "../storage/connector-logs";
import { logRecord } from "../queue/outcomes";
import { idempotencyCacheKey } from "../ingest/idempotency";
import { Changelog } from "./changelog";
import { ItemBatch } from "./item-batch";
import { ItemReader, type ReadRequest, type StreamRead } from "./item-reader";
import { RendererHub, catchUpFrames } from "./renderers";
import { type ClaimResult, type Outcome, type RequestOutcome, RequestLedger } from "./request-ledger";
import { migrate } from "./sql-schema";
import { z } from "zod";

type DecidedOutcome = RequestOutcome & { status: Outcome };

const SocketQuery = z.object({
	since: z.coerce.number().int().min(0).optional(),
	grant: z.string().min(1).max(80),
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

	constructor(ctx: DurableObjectState, env: Env) {
		super(ctx, env);
		migrate(ctx.storage.sql);
		this.#ledger = new RequestLedger(ctx.storage.sql);
		this.#reader = new ItemReader(ctx.storage.sql);
		this.#changelog = new Changelog(ctx.storage.sql);
		this.#renderers = new RendererHub(ctx);
	}

	/**
	 * Opens a renderer socket. Only the Worker reaches this, after it checked the
	 * token and the stream; it passes the grant (token id or ticket) to tag the socket.
	 */
	override async fetch(request: Request): Promise<Response> {
		const url = new URL(request.url);
		const query = SocketQuery.safeParse(Object.fromEntries(url.searchParams));
		if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket" || !query.success) {
			return new Response("Expected a WebSocket upgrade from the Worker.", { status: 400 });
		}
		const { since, grant } = query.data;
		const frames = catchUpFrames(this.read(since === undefined ? {} : { since }), since);
		return new Response(null, { status: 101, webSocket: this.#renderers.accept(grant, frames) });
	}

	override async webSocketMessage(socket: WebSocket, message: string | ArrayBuffer): Promise<void> {
		this.#renderers.onMessage(socket, message, (since) => this.read(since === undefined ? {} : { since }));
	}

	override async webSocketClose(socket: WebSocket, code: number, reason: string): Promise<void> {
		try {
			socket.close(code, reason);
		} catch {
			// The runtime already answered the close.
		}
	}

	/** Closes the sockets a revoked renderer token opened; returns how many. */
	async closeRenderers(grant: string): Promise<number> {
		return this.#renderers.closeGrant(grant, "renderer token revoked");
	}

	/** How many renderers are connected. */
	async rendererCount(): Promise<number> {
		return this.#renderers.count();
	}

	/** The stream's items: a resume after `since` if retained, else a snapshot (paged by after/limit). */
	read(request: ReadRequest): StreamRead {
		return this.#reader.read(request);
	}

	/** Claims an idempotency key for a request (see RequestLedger.claim). */
	async claimIdempotencyKey(input: ClaimInput): Promise<ClaimResult> {
		const result = this.#ledger.claim(input, Date.now());
		await this.#scheduleAlarm();
		return result;
	}

	/**
	 * Applies a delivery of queue messages in one transaction and reports every
	 * request they belong to. A request is applied once all its parts are here, and
	 * at most once in 24 h whatever the number of deliveries.
	 */
	async applyMessages(messages: IngestMessage[]): Promise<RequestOutcome[]> {
		const now = Date.now();
		const outcomes = new Map<string, RequestOutcome>();
		const settings = config(this.env);
		const changes = this.ctx.storage.transactionSync(() => {
			const batch = new ItemBatch(this.ctx.storage.sql, now);
			for (const message of messages) {
				const id = message.request_id;
				const decided = this.#ledger.decided(id);
				if (decided) {
					outcomes.set(id, decided);
					continue;
				}
				if (!this.#ledger.addPart(message, now)) {
					outcomes.set(id, { request_id: id, status: "queued", error: null });
					continue;
				}
				const text = message.parts === 1 ? message.body : this.#ledger.assemble(id);
				const outcome = this.#applyIsolated(batch, message, text, now);
				this.#ledger.decide(outcome, now);
				if (outcome.status === "failed") this.#ledger.releaseClaims(id);
				outcomes.set(id, outcome);
			}
			const applied = batch.finish(settings.MAX_ITEMS_PER_STREAM);
			this.#changelog.prune(
				applied.to,
				{ maxEntries: settings.CHANGELOG_MAX_ENTRIES, maxAgeMs: settings.CHANGELOG_MAX_AGE_SECONDS * 1000 },
				now,
			);
			return applied;
		});
		// Sent in the same call that committed the writes: no renderer sees a change that was not saved.
		this.#renderers.broadcast(changes);
		await this.#scheduleAlarm();
		return [...outcomes.values()];
	}

	/**
	 * Applies one request inside a savepoint (a nested transactionSync): if its writes
	 * throw, only they are undone and the request fails, instead of the whole delivery
	 * being retried until it is dead-lettered with every innocent request in it.
	 */
	#applyIsolated(batch: ItemBatch, envelope: RequestEnvelope, text: string, now: number): DecidedOutcome {
		const mark = batch.mark();
		try {
			return this.ctx.storage.transactionSync(() => this.#applyRequest(batch, envelope, text, now));
		} catch (error) {
			batch.rollback(mark);
			logError("request could not be applied", error, { request_id: envelope.request_id });
			const reason = error instanceof Error ? error.message : String(error);
			return { request_id: envelope.request_id, status: "failed", error: `The stream could not apply it: ${reason}` };
		}
	}

	/** Decides one complete request: parse, idempotency, then last-writer-wins writes. */
	#applyRequest(
		batch: ItemBatch,
		envelope: RequestEnvelope,
		text: string,
		now: number,
	): DecidedOutcome {
		const id = envelope.request_id;
		let items;
		try {
			items = parsePayload(text, envelope.format, envelope.item_key);
		} catch (error) {
			const message = error instanceof ApiError ? error.message : "The body could not be parsed.";
			return { request_id: id, status: "failed", error: `Invalid queued payload: ${message}` };
		}
		if (items.length !== envelope.items_received) {
			return { request_id: id, status: "failed", error: "The queued payload does not match the accepted request." };
		}
		if (envelope.idempotency_key !== null && envelope.body_hash !== null) {
			const claim = this.#ledger.claim(
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
				return {
					request_id: id,
					status: "rejected",
					error: `Idempotency-Key already used by ${claim.request_id} with a different body.`,
				};
			}
		}
		batch.write(items, { at: envelope.received_at, requestId: id });
		return { request_id: id, status: "processed", error: null };
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
		await this.#scheduleAlarm();
		return outcomes;
	}

	/** Expires stale parts (their requests end `failed`) and forgets decisions and claims older than 24 h. */
	override async alarm(): Promise<void> {
		const now = Date.now();
		const timeoutMs = config(this.env).PARTS_TIMEOUT_SECONDS * 1000;
		const stale = this.#ledger.staleRequests(now, timeoutMs);
		this.ctx.storage.transactionSync(() => {
			for (const { envelope, present, parts } of stale) {
				const error = `Only ${present} of ${parts} parts arrived within ${timeoutMs / 1000} s.`;
				this.#ledger.decide({ request_id: envelope.request_id, status: "failed", error }, now);
				this.#ledger.releaseClaims(envelope.request_id);
			}
			this.#ledger.prune(now);
		});
		await markFailed(
			this.env.DB,
			stale.map(({ envelope, present, parts }) =>
				logRecord(envelope, "failed", `Only ${present} of ${parts} parts arrived within ${timeoutMs / 1000} s.`),
			),
		);
		for (const { envelope } of stale) {
			if (envelope.idempotency_key !== null) {
				await this.env.IDEMPOTENCY.delete(idempotencyCacheKey(envelope.connector_id, envelope.idempotency_key));
			}
		}
		await this.#scheduleAlarm();
	}

	async #scheduleAlarm(): Promise<void> {
		const next = this.#ledger.nextExpiry(config(this.env).PARTS_TIMEOUT_SECONDS * 1000);
		if (next === null) return;
		const current = await this.ctx.storage.getAlarm();
		if (current === null || current > next) await this.ctx.storage.setAlarm(Math.max(next, Date.now()));
	}
}
