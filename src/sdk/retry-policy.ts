/** How long to wait between attempts: `baseMs` doubling per attempt, capped at `capMs`. */
export interface BackoffOptions {
	baseMs: number;
	capMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, capMs: 20_000 };

/**
 * The wait before retry number `retry` (1 for the first retry), with full jitter:
 * uniformly random in [0, min(cap, base·2^(retry-1))). Random spreading keeps
 * many clients that failed together from retrying together.
 */
export function backoffDelay(retry: number, options: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
	const ceiling = Math.min(options.capMs, options.baseMs * 2 ** Math.max(0, retry - 1));
	return Math.floor(random() * ceiling);
}

/** Seconds to wait from a `Retry-After` header (delta-seconds or an HTTP date), or null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
	if (value === null) return null;
	const text = value.trim();
	if (/^\d+$/.test(text)) return Number(text);
	// Date.parse reads bare numbers like "-1" as years; an HTTP date always names its day and month.
	const date = /[a-z]/i.test(text) ? Date.parse(text) : Number.NaN;
	if (Number.isNaN(date)) return null;
	return Math.max(0, Math.ceil((date - now) / 1000));
}

/**
 * Whether an HTTP status is worth retrying: 429 and 5xx are; every other status,
 * 400/401/404/413/422 among them, gives the same answer however often it is sent.
 */
export function isRetryableStatus(status: number): boolean {
	return status === 429 || (status >= 500 && status <= 599);
}

/** The wait before the next attempt: the server's Retry-After when given, else jittered backoff. */
export function retryDelay(retry: number, retryAfterSeconds: number | null, options: BackoffOptions = DEFAULT_BACKOFF, random?: () => number): number {
	if (retryAfterSeconds !== null && retryAfterSeconds > 0) return retryAfterSeconds * 1000;
	return backoffDelay(retry, options, random);
}
