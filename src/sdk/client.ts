import { abortReason, attemptSignal, sleep } from "./abort.ts";
import { Batcher } from "./batcher.ts";
import { DataPoolError } from "./errors.ts";
import { newIdempotencyKey } from "./idempotency-key.ts";
import { deleteBody, type IngestMode, type ItemKeyValue, replaceBody } from "./operations.ts";
import { errorFromResponse, resultFromResponse } from "./response.ts";
import { type BackoffOptions, DEFAULT_BACKOFF, retryDelay } from "./retry-policy.ts";
import type { BatcherOptions, ClearOptions, DataPoolIngestOptions, DeleteOptions, IngestOptions, IngestResult } from "./types.ts";

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_ATTEMPTS = 5;
const DEFAULT_MAX_ELAPSED_MS = 60_000;

function positive(name: string, value: number | undefined, fallback: number): number {
	const chosen = value ?? fallback;
	if (!Number.isFinite(chosen) || chosen <= 0) throw new RangeError(`${name} must be a positive number.`);
	return chosen;
}

/** A client of the DataPool ingest API: retries safely, batches with `createBatcher()`, and deletes, replaces and clears. */
export class DataPoolIngest {
	readonly #key: string;
	readonly #baseUrl: string;
	readonly #fetch: typeof fetch;
	readonly #timeoutMs: number;
	readonly #maxAttempts: number;
	readonly #maxElapsedMs: number;
	readonly #backoff: BackoffOptions;

	constructor(options: DataPoolIngestOptions) {
		if (typeof options.key !== "string" || options.key === "") throw new TypeError("key is required: an ingest key, ik_live_….");
		const base = new URL(String(options.baseUrl));
		this.#key = options.key;
		this.#baseUrl = base.href.replace(/\/+$/, "");
		const globalFetch: typeof fetch | undefined = globalThis.fetch;
		if (!options.fetch && !globalFetch) throw new TypeError("No global fetch: pass options.fetch.");
		// Some runtimes refuse a fetch called with a `this` other than globalThis.
		this.#fetch = options.fetch ?? globalFetch.bind(globalThis);
		this.#timeoutMs = positive("timeoutMs", options.timeoutMs, DEFAULT_TIMEOUT_MS);
		this.#maxAttempts = Math.floor(positive("maxAttempts", options.maxAttempts, DEFAULT_MAX_ATTEMPTS));
		this.#maxElapsedMs = positive("maxElapsedMs", options.maxElapsedMs, DEFAULT_MAX_ELAPSED_MS);
		this.#backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
	}

	/** Sends one object, or an array of objects, in one request; the API accepts it whole or not at all. */
	ingest(items: object | readonly object[], options: IngestOptions = {}): Promise<IngestResult> {
		return this.ingestJson(JSON.stringify(items), options);
	}

	/**
	 * Sends JSON text exactly as given. Retries 429 (after Retry-After), 5xx, timeouts
	 * and network errors with the same Idempotency-Key, so a request the server did
	 * accept before the connection dropped is answered as a replay, not applied twice.
	 * The key is `options.idempotencyKey`, or a fresh random one per call: each call
	 * is its own operation, even when its body repeats an earlier one.
	 */
	ingestJson(json: string, options: IngestOptions = {}): Promise<IngestResult> {
		return this.#send(json, options, "upsert");
	}

	/**
	 * Deletes the items whose item key is one of `keys`, in one request
	 * (`X-Ingest-Mode: delete`); a key that is not stored is not an error.
	 * `options.itemKey` is required: the body names each key as `{[itemKey]: key}`,
	 * so the SDK needs the field's name even when the connector has an item_key
	 * (pass the same one). Retries and Idempotency-Key as `ingest()`. Rejects,
	 * before sending, an empty list, a key the API would refuse, and more than one
	 * request can hold (10,000 keys or 1 MB): delete those in several calls.
	 */
	async delete(keys: ItemKeyValue | readonly ItemKeyValue[], options: DeleteOptions): Promise<IngestResult> {
		// Async, as replace and clear are, so that a body refused before sending rejects like a refused request instead of throwing.
		return this.#send(deleteBody(keys, options?.itemKey), options, "delete");
	}

	/**
	 * Makes `items` the stream's whole content, in one request and one atomic change
	 * (`X-Ingest-Mode: replace`): every stored item they do not name is removed, and
	 * `[]` clears the stream. Retries and Idempotency-Key as `ingest()`. A replace
	 * cannot be split, so more than one request holds (10,000 items or 1 MB of JSON)
	 * is rejected before sending, with a DataPoolError (`INVALID_PAYLOAD` or
	 * `PAYLOAD_TOO_LARGE`, `status` null).
	 */
	async replace(items: readonly object[], options: IngestOptions = {}): Promise<IngestResult> {
		return this.#send(replaceBody(items), options, "replace");
	}

	/** Removes every item of the stream: `replace([])`. */
	async clear(options: ClearOptions = {}): Promise<IngestResult> {
		return this.#send(replaceBody([]), options, "replace");
	}

	async #send(json: string, options: IngestOptions, mode: IngestMode): Promise<IngestResult> {
		const itemKey = options.itemKey ?? null;
		const headers: Record<string, string> = {
			Authorization: `Bearer ${this.#key}`,
			"Content-Type": "application/json",
			// Made once, before the first attempt, so that every retry carries it.
			"Idempotency-Key": options.idempotencyKey ?? newIdempotencyKey(),
		};
		if (itemKey !== null) headers["X-Item-Key"] = itemKey;
		// Upserts send no mode, as before the header existed: absent means upsert.
		if (mode !== "upsert") headers["X-Ingest-Mode"] = mode;
		const url = `${this.#baseUrl}/api/ingest${options.stream === undefined ? "" : `/${encodeURIComponent(options.stream)}`}`;

		const started = Date.now();
		for (let attempt = 1; ; attempt++) {
			const remaining = this.#maxElapsedMs - (Date.now() - started);
			let error: DataPoolError;
			try {
				return await this.#attempt(url, headers, json, Math.max(1, Math.min(this.#timeoutMs, remaining)), options.signal);
			} catch (caught) {
				if (!(caught instanceof DataPoolError)) throw caught;
				error = caught;
			}
			if (!error.retryable || attempt >= this.#maxAttempts) throw error;
			const delay = retryDelay(attempt, error.retryAfter, this.#backoff);
			if (Date.now() - started + delay >= this.#maxElapsedMs) throw error;
			await sleep(delay, options.signal);
		}
	}

	/** A buffer that groups items into requests by count, bytes and time; see BatcherOptions. */
	createBatcher(options: BatcherOptions = {}): Batcher {
		return new Batcher(this, options);
	}

	async #attempt(url: string, headers: Record<string, string>, body: string, timeoutMs: number, signal?: AbortSignal): Promise<IngestResult> {
		const attempt = attemptSignal(timeoutMs, signal);
		try {
			let response: Response;
			let text: string;
			try {
				response = await this.#fetch(url, { method: "POST", headers, body, signal: attempt.signal });
				text = await response.text();
			} catch (cause) {
				if (signal?.aborted) throw abortReason(signal);
				if (attempt.timedOut()) {
					throw new DataPoolError(`No answer within ${timeoutMs} ms.`, { code: "TIMEOUT", retryable: true, cause });
				}
				const reason = cause instanceof Error ? cause.message : String(cause);
				throw new DataPoolError(`Network error: ${reason}`, { code: "NETWORK_ERROR", retryable: true, cause });
			}
			if (response.ok) return resultFromResponse(response, text);
			throw errorFromResponse(response, text);
		} finally {
			attempt.dispose();
		}
	}
}
