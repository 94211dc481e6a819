import type { BatchFailure, RejectedItem } from "./errors.ts";
import type { BackoffOptions } from "./retry-policy.ts";

/** How a DataPoolIngest client talks to the API. */
export interface DataPoolIngestOptions {
	/** An ingest key, `ik_live_…`. */
	key: string;
	/** Where the API is, e.g. `https://ingest.example.com` (no `/api`). */
	baseUrl: string | URL;
	/** The fetch to use; defaults to the global one. */
	fetch?: typeof fetch;
	/** Per attempt: give up on an answer after this long (default 30 s). */
	timeoutMs?: number;
	/** Attempts per request, the first included (default 5). */
	maxAttempts?: number;
	/** No retry starts once this much time has passed since the first attempt (default 60 s). */
	maxElapsedMs?: number;
	/** Waits between attempts when the server gives no Retry-After (default 500 ms doubling, capped at 20 s). */
	backoff?: Partial<BackoffOptions>;
}

/** Per-request options of `ingest()`. */
export interface IngestOptions {
	/** The field that identifies each item (sent as X-Item-Key); defaults to the connector's item_key. */
	itemKey?: string;
	/**
	 * Sent on every attempt of this call; defaults to a fresh random key per call, so two
	 * calls are two operations even with the same body. Pass a deterministic key (source +
	 * timestamp, say) to make a re-run of the same import a no-op within the API's 24 hours.
	 */
	idempotencyKey?: string;
	/** Aborts the request, retries and waits included. */
	signal?: AbortSignal;
	/** Post to `/api/ingest/{stream}`, so that a key of another stream is refused with 404. */
	stream?: string;
}

/** Options of `delete()`: those of `ingest()`, with the item key field required (the body is built from it). */
export interface DeleteOptions extends IngestOptions {
	/** The field the keys are values of; sent as X-Item-Key. Pass the connector's item_key when it has one. */
	itemKey: string;
}

/** Options of `clear()`: a clear names no items, so no item key. */
export type ClearOptions = Omit<IngestOptions, "itemKey">;

/** The API's answer to an accepted request. */
export interface IngestResult {
	stream: string;
	items_received: number;
	/** The request's id; on a replay, the id of the original request. */
	request_id: string;
	/** True when the API had already accepted this Idempotency-Key and body: nothing was applied again. */
	replayed: boolean;
}

/** How a batcher groups items into requests. */
export interface BatcherOptions {
	/** Items per request, at most 10,000 (default 500). */
	maxItems?: number;
	/** JSON bytes per request, at most 1,048,576 (default 900 KiB, leaving room under the API's 1 MB). */
	maxBytes?: number;
	/** Send what is buffered this long after the first item arrived (default 1000 ms). */
	flushIntervalMs?: number;
	/** Items held (buffered or being sent) before `add()` waits for room (default 10,000). */
	maxBufferedItems?: number;
	/** The field that identifies each item; also checked locally before an item is buffered. */
	itemKey?: string;
	/** Post to `/api/ingest/{stream}`. */
	stream?: string;
	/**
	 * The Idempotency-Key of a batch, asked once per batch and sent on each of its retries;
	 * defaults to a fresh random key per batch. Return a deterministic key (source + `offset`
	 * + `items.length`, say) to make a re-run of the same import a no-op within 24 hours.
	 */
	idempotencyKey?: (batch: BatchInfo) => string;
	/** Called for each batch the API accepted. */
	onBatch?: (result: IngestResult, items: readonly object[]) => void;
	/** Called for each batch that failed for good; `flush()` and `close()` reject with it too. */
	onError?: (failure: BatchFailure) => void;
	/**
	 * Called, before `onError`, as soon as the API refuses a batch naming some of its items
	 * (`400 INVALID_PAYLOAD`: the stream's schema or the item key), with those items and
	 * their problems. The request was refused whole, so none of the batch's items were
	 * applied: `add()` the fixed ones and `failure.notRejected` again from here (it is
	 * allowed even while `close()` runs, which then waits for them). Not retried: the same
	 * items would be refused again. The batch still counts as failed in `flush()` and `close()`.
	 */
	onRejected?: (rejected: readonly RejectedItem[], failure: BatchFailure) => void;
}

/** A batch about to be sent, as `BatcherOptions.idempotencyKey` sees it. */
export interface BatchInfo {
	/** The batch's items, in the order they were added. */
	items: readonly object[];
	/** How many items were added to the batcher before the batch's first one. */
	offset: number;
}

/** What a batcher sends its batches through: the client's ingest of a JSON array it already serialised. */
export interface JsonIngest {
	ingestJson(json: string, options?: IngestOptions): Promise<IngestResult>;
}
