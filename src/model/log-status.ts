/** The statuses a request goes through, as the contract names them. */
export const LOG_STATUSES = ["queued", "processed", "duplicate", "rejected", "failed"] as const;
export type LogStatus = (typeof LOG_STATUSES)[number];

/** What a request's items did to its stream (its X-Ingest-Mode), as log entries name it. */
export const LOG_OPERATIONS = ["upsert", "delete", "replace"] as const;
export type LogOperation = (typeof LOG_OPERATIONS)[number];
