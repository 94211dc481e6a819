/** Codes the API answers with (see the contract), plus the SDK's own for failures that never got an answer. */
export type DataPoolErrorCode =
	| "INVALID_PAYLOAD"
	| "UNAUTHORIZED"
	| "STREAM_NOT_FOUND"
	| "PAYLOAD_TOO_LARGE"
	| "IDEMPOTENCY_KEY_REUSED"
	| "RATE_LIMITED"
	| "INTERNAL_ERROR"
	| "NETWORK_ERROR"
	| "TIMEOUT"
	| "UNEXPECTED_RESPONSE"
	| "BATCH_FAILED"
	| "BATCHER_CLOSED"
	| "UNEXPECTED_ERROR"
	// Codes added to the API later still arrive as they are.
	| (string & {});

/**
 * One entry of an error's `details`. For a problem of one item of the request
 * `index` is the item's position in the body and `path` starts with it
 * (`[2, "price"]`); other details have no `index`.
 */
export interface DataPoolErrorDetail {
	index?: number;
	path: (string | number)[];
	message: string;
}

/** What a DataPoolError is made from. */
export interface DataPoolErrorInit {
	code: DataPoolErrorCode;
	/** The HTTP status, or null when no answer came (network error, timeout) or the SDK refused before sending. */
	status?: number | null;
	requestId?: string | null;
	/** Seconds the server asked to wait (`Retry-After`), when it did. */
	retryAfter?: number | null;
	details?: DataPoolErrorDetail[];
	/** Whether sending the same request again may succeed. */
	retryable?: boolean;
	cause?: unknown;
}

/** The one error type of the SDK: an API error envelope, or a failure to get an answer. */
export class DataPoolError extends Error {
	readonly code: DataPoolErrorCode;
	readonly status: number | null;
	readonly requestId: string | null;
	readonly retryAfter: number | null;
	readonly details: DataPoolErrorDetail[];
	readonly retryable: boolean;

	constructor(message: string, init: DataPoolErrorInit) {
		super(message, init.cause === undefined ? undefined : { cause: init.cause });
		this.name = "DataPoolError";
		this.code = init.code;
		this.status = init.status ?? null;
		this.requestId = init.requestId ?? null;
		this.retryAfter = init.retryAfter ?? null;
		this.details = init.details ?? [];
		this.retryable = init.retryable ?? false;
	}
}

/** One problem the API found in an item: where in the item (`[]` for the item itself), and what. */
export interface ItemProblem {
	path: (string | number)[];
	message: string;
}

/** An item of a batch that the API refused (its schema or its item key), with what is wrong with it. */
export interface RejectedItem {
	/** The item's position in the batch (`BatchFailure.items`). */
	index: number;
	/** The item as it was added. */
	item: object;
	problems: ItemProblem[];
}

/**
 * A batch the batcher could not deliver: the error, and the items it held. A batch is
 * one request, applied whole or not at all: none of its items were applied, the
 * rejected ones nor the others.
 */
export interface BatchFailure {
	error: DataPoolError;
	/** Every item of the batch, in the order they were added. */
	items: readonly object[];
	idempotencyKey: string;
	/**
	 * The items the API refused, in batch order, when it answered `400 INVALID_PAYLOAD`
	 * naming them (a stream schema or item key they fail); `[]` for any other failure.
	 * The API lists at most 100 problems, so the list may be partial: see `rejectedTotal`.
	 */
	rejected: readonly RejectedItem[];
	/** How many of the batch's items the API said failed in all; more than `rejected.length` when its list was cut. */
	rejectedTotal: number;
	/**
	 * The batch's items that `rejected` does not name: not applied either (the request
	 * was refused whole), ready to `add()` again. When `rejectedTotal` exceeds
	 * `rejected.length`, some of them failed too and will be reported when sent again.
	 */
	notRejected: readonly object[];
}

/** Rejects `flush()` and `close()` when batches failed since the previous flush or close. */
export class BatchError extends DataPoolError {
	readonly failures: readonly BatchFailure[];

	constructor(failures: readonly BatchFailure[]) {
		const items = failures.reduce((sum, failure) => sum + failure.items.length, 0);
		const first = failures[0]?.error;
		super(`${failures.length} batch(es) with ${items} item(s) were not accepted${first ? `: ${first.message}` : "."}`, {
			code: "BATCH_FAILED",
			cause: first,
		});
		this.name = "BatchError";
		this.failures = failures;
	}
}
