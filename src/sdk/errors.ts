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

/** One entry of an error's `details`, as the API sends it. */
export interface DataPoolErrorDetail {
	path: (string | number)[];
	message: string;
	index?: number;
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

/** A batch the batcher could not deliver: the error, and the items it held. */
export interface BatchFailure {
	error: DataPoolError;
	items: readonly object[];
	idempotencyKey: string;
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
