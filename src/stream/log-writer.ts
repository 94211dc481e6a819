import { logError } from "../model/log";
import { config } from "../model/config";
import { forgetFailedKeys } from "../storage/idempotency-keys";
import { type BucketState, type RateLimit, takeTokens } from "../model/token-bucket";
import { recordRequests } from "../storage/connector-logs";
import type { LogOutbox } from "./log-outbox";

/** Retry delays of a failed write: doubling from 1 s, at most a minute. */
const RETRY_MS = { first: 1000, max: 60_000 };
/** Writes that may follow each other at once before LOG_FLUSH_INTERVAL_MS spaces them. */
const BURST = 4;

/**
 * Writes a stream's log outbox to D1, paced by a token bucket: a burst of BURST
 * writes at once, then one per LOG_FLUSH_INTERVAL_MS. Light traffic has its entries
 * written as soon as it is applied; under load one write carries many deliveries.
 * The stream's alarm calls `write` when `dueAt` says so.
 */
export class LogWriter {
	readonly #outbox: LogOutbox;
	// The env is read at each call: the object's env is the one in force (tests swap it).
	readonly #env: () => Env;
	#tokens: BucketState | undefined;
	/** After a failed write, none before this. */
	#retryAt = 0;
	#failures = 0;

	constructor(outbox: LogOutbox, env: () => Env) {
		this.#outbox = outbox;
		this.#env = env;
	}

	/** Whether entries wait to be written. */
	hasPending(): boolean {
		return !this.#outbox.isEmpty();
	}

	/** When the outbox may next be written out: now, unless the burst is spent or the last write failed. */
	dueAt(now: number): number {
		const pace = this.#pace();
		const paced = pace ? now + takeTokens(this.#tokens, pace, now).retryAfterMs : now;
		return Math.max(paced, this.#retryAt);
	}

	/**
	 * Writes every pending entry, as many D1 writes as they need; false if one failed,
	 * which pushes `dueAt` back (1 s, 2 s, … a minute) while the entries stay stored.
	 */
	async write(now: number): Promise<boolean> {
		const pace = this.#pace();
		if (pace) this.#tokens = takeTokens(this.#tokens, pace, now).state;
		const env = this.#env();
		for (let batch = this.#outbox.pending(); batch; batch = this.#outbox.pending()) {
			try {
				await recordRequests(env.DB, batch.records);
				// A request that failed here gives its Idempotency-Key back, so the client can retry with it.
				await forgetFailedKeys(env, batch.records);
			} catch (error) {
				logError("connector logs not written; the stream retries", error, { entries: batch.records.length });
				this.#retryAt = now + Math.min(RETRY_MS.max, RETRY_MS.first * 2 ** this.#failures++);
				return false;
			}
			this.#outbox.remove(batch.upTo);
		}
		this.#failures = 0;
		return true;
	}

	/** The pace as a token bucket's limit; null when LOG_FLUSH_INTERVAL_MS is 0 (no pacing). */
	#pace(): RateLimit | null {
		const interval = config(this.#env()).LOG_FLUSH_INTERVAL_MS;
		return interval > 0 ? { requests: BURST, period_seconds: (BURST * interval) / 1000 } : null;
	}
}
