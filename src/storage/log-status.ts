/** The statuses a request goes through, as the contract names them. */
export const LOG_STATUSES = ["queued", "processed", "duplicate", "rejected", "failed"] as const;
export type LogStatus = (typeof LOG_STATUSES)[number];
