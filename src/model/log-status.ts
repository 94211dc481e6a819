/** The statuses a request goes through, as the contract names them. */
export const LOG_STATUSES = ["queued", "processed", "duplicate", "rejected", "failed"] as const;
export type LogStatus = (typeof LOG_STATUSES)[number];

/**
 * A request's lifecycle: which status an entry may move to from each. `queued` may end any
 * way; `failed` may still end otherwise (a later part, a replay) but never goes back to
 * `queued`; the others are final. storage/connector-logs.ts recordRequests applies it in SQL.
 */
export const LOG_TRANSITIONS: Record<LogStatus, readonly LogStatus[]> = {
	queued: ["queued", "processed", "duplicate", "rejected", "failed"],
	failed: ["processed", "duplicate", "rejected", "failed"],
	processed: [],
	duplicate: [],
	rejected: [],
};

/** What a request's items did to its stream (its X-Ingest-Mode), as log entries name it. */
export const LOG_OPERATIONS = ["upsert", "delete", "replace"] as const;
export type LogOperation = (typeof LOG_OPERATIONS)[number];
