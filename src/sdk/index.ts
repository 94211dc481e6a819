// The DataPool ingest SDK: plain TypeScript on fetch, AbortController, timers, TextEncoder and crypto.getRandomValues,
// so it runs on Node ≥ 18, browsers, Deno, Bun and Workers alike. Import it as `datapool-ingest/sdk`.
export { jsonArrayBytes, MAX_REQUEST_BYTES, MAX_REQUEST_ITEMS, planBatches } from "./batch-plan.ts";
export type { BatchLimits } from "./batch-plan.ts";
export { Batcher } from "./batcher.ts";
export { DataPoolIngest } from "./client.ts";
export { BatchError, DataPoolError } from "./errors.ts";
export type { BatchFailure, DataPoolErrorCode, DataPoolErrorDetail, DataPoolErrorInit, ItemProblem, RejectedItem } from "./errors.ts";
export { newIdempotencyKey } from "./idempotency-key.ts";
export type { IngestMode, ItemKeyValue } from "./operations.ts";
export { backoffDelay, DEFAULT_BACKOFF, isRetryableStatus, parseRetryAfter, retryDelay } from "./retry-policy.ts";
export type { BackoffOptions } from "./retry-policy.ts";
export type { BatcherOptions, BatchInfo, ClearOptions, DataPoolIngestOptions, DeleteOptions, IngestOptions, IngestResult } from "./types.ts";
