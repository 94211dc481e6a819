import type { RateLimit } from "./connector";

export type { RateLimit } from "./connector";

/** A bucket's persisted state. */
export interface BucketState {
	tokens: number;
	updatedAt: number;
	/** The capacity the tokens were counted against, to rescale when the limit changes. */
	capacity?: number;
}

/** What a caller asks of the bucket: `want` tokens, after giving back `returned` it leased and did not use. */
export interface TokenRequest {
	want?: number;
	returned?: number;
}

/** A verdict on one request, as the RateLimit headers report it. */
export interface RateDecision {
	allowed: boolean;
	limit: number;
	remaining: number;
	/** Whole seconds until the bucket is full again (RateLimit-Reset). */
	resetSeconds: number;
	/** Whole seconds until one request would be allowed (Retry-After); 0 when allowed. */
	retryAfterSeconds: number;
}

/** The bucket's answer to a TokenRequest: the decision for the first token, how many were granted, and the new state. */
export interface TokenGrant extends RateDecision {
	granted: number;
	/** Tokens left in the bucket after the grant, unrounded. */
	tokens: number;
	/** Milliseconds until one token is back; 0 when granted. */
	retryAfterMs: number;
	state: BucketState;
}

// Refill arithmetic in floating point can land a hair under a whole token.
const EPSILON = 1e-9;

/** Tokens per millisecond. */
export const refillRate = (limit: RateLimit): number => limit.requests / (limit.period_seconds * 1000);

/** The decision reported when `tokens` are left (unrounded), `retryAfterMs` is 0 when allowed. */
export function decide(limit: RateLimit, tokens: number, allowed: boolean, retryAfterMs: number): RateDecision {
	const capacity = limit.requests;
	return {
		allowed,
		limit: capacity,
		remaining: Math.floor(tokens + EPSILON),
		resetSeconds: Math.max(0, Math.ceil((capacity - tokens) / refillRate(limit) / 1000 - EPSILON)),
		retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil(retryAfterMs / 1000 - EPSILON)),
	};
}

/**
 * A token bucket holding `requests` tokens that refills at `requests / period_seconds`
 * per second: bursts of up to `requests`, and a sustained rate of `requests` per
 * `period_seconds`. (Over one window a full bucket plus its refill can pass up to
 * 2 × requests − 1; the README says so.) O(1) state, whatever the limit.
 *
 * Grants up to `want` tokens at once (an isolate's lease, see lease.ts), at least one
 * or none; `returned` tokens, leased earlier and unused, go back in first.
 */
export function takeTokens(state: BucketState | undefined, limit: RateLimit, now: number, request: TokenRequest = {}): TokenGrant {
	const capacity = limit.requests;
	const perMs = refillRate(limit);
	const elapsed = state ? Math.max(0, now - state.updatedAt) : 0;
	// A raised limit grants its extra allowance at once; a lowered one caps what is left.
	const granted = state?.capacity !== undefined ? Math.max(0, capacity - state.capacity) : 0;
	const returned = Math.max(0, request.returned ?? 0);
	let tokens = state ? Math.min(capacity, state.tokens + granted + returned + elapsed * perMs) : capacity;
	const give = Math.min(Math.max(1, Math.floor(request.want ?? 1)), Math.floor(tokens + EPSILON));
	const allowed = give >= 1;
	if (allowed) tokens = Math.max(0, tokens - give);
	const retryAfterMs = allowed ? 0 : Math.max(0, (1 - tokens) / perMs);
	return {
		...decide(limit, tokens, allowed, retryAfterMs),
		granted: allowed ? give : 0,
		tokens,
		retryAfterMs,
		state: { tokens, updatedAt: now, capacity },
	};
}

/** The IETF RateLimit headers (and Retry-After when refused) for a decision. */
export function rateLimitHeaders(decision: RateDecision): Record<string, string> {
	const headers: Record<string, string> = {
		"RateLimit-Limit": String(decision.limit),
		"RateLimit-Remaining": String(decision.remaining),
		"RateLimit-Reset": String(decision.resetSeconds),
	};
	if (!decision.allowed) headers["Retry-After"] = String(decision.retryAfterSeconds);
	return headers;
}
