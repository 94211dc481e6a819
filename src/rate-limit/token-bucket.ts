/** A rate limit: at most `requests` per `period_seconds`. */
export interface RateLimit {
	requests: number;
	period_seconds: number;
}

/** A bucket's persisted state. */
export interface BucketState {
	tokens: number;
	updatedAt: number;
	/** The capacity the tokens were counted against, to rescale when the limit changes. */
	capacity?: number;
}

/** The outcome of asking for one request's worth of tokens. */
export interface RateDecision {
	allowed: boolean;
	limit: number;
	remaining: number;
	/** Whole seconds until the bucket is full again (RateLimit-Reset). */
	resetSeconds: number;
	/** Whole seconds until one request would be allowed (Retry-After); 0 when allowed. */
	retryAfterSeconds: number;
	state: BucketState;
}

// Refill arithmetic in floating point can land a hair under a whole token.
const EPSILON = 1e-9;

/**
 * A token bucket holding `requests` tokens that refills at `requests / period_seconds`
 * per second: bursts of up to `requests`, and a sustained rate of `requests` per
 * `period_seconds`. (Over one window a full bucket plus its refill can pass up to
 * 2 × requests − 1; the README says so.) O(1) state, whatever the limit.
 */
export function takeToken(state: BucketState | undefined, limit: RateLimit, now: number): RateDecision {
	const capacity = limit.requests;
	const perMs = capacity / (limit.period_seconds * 1000);
	const elapsed = state ? Math.max(0, now - state.updatedAt) : 0;
	// A raised limit grants its extra allowance at once; a lowered one caps what is left.
	const granted = state?.capacity !== undefined ? Math.max(0, capacity - state.capacity) : 0;
	let tokens = state ? Math.min(capacity, state.tokens + granted + elapsed * perMs) : capacity;
	const allowed = tokens >= 1 - EPSILON;
	if (allowed) tokens = Math.max(0, tokens - 1);
	return {
		allowed,
		limit: capacity,
		remaining: Math.floor(tokens + EPSILON),
		resetSeconds: Math.ceil((capacity - tokens) / perMs / 1000 - EPSILON),
		retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((1 - tokens) / perMs / 1000 - EPSILON)),
		state: { tokens, updatedAt: now, capacity },
	};
}

/** The IETF RateLimit headers (and Retry-After when refused) for a decision. */
export function rateLimitHeaders(decision: Omit<RateDecision, "state">): Record<string, string> {
	const headers: Record<string, string> = {
		"RateLimit-Limit": String(decision.limit),
		"RateLimit-Remaining": String(decision.remaining),
		"RateLimit-Reset": String(decision.resetSeconds),
	};
	if (!decision.allowed) headers["Retry-After"] = String(decision.retryAfterSeconds);
	return headers;
}
