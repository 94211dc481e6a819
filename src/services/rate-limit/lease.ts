import { type RateDecision, type RateLimit, type TokenGrant, type TokenRequest, decide, refillRate } from "../../model/token-bucket";

/** Leased tokens unused this long are given back with the next lease: tokens are never stranded for long. */
export const LEASE_TTL_MS = 1000;
/** A lease covers about this much of the isolate's recent traffic for the connector. */
export const LEASE_WINDOW_MS = 100;
// However busy the isolate, one lease takes at most a tenth of the limit (and 1,000), leaving the rest to other isolates.
const MAX_LEASE_SHARE = 0.1;
const MAX_LEASE = 1000;

/** What the bucket answers a lease request with. */
export type LeaseGrant = Pick<TokenGrant, "allowed" | "granted" | "tokens" | "retryAfterMs">;

const sameLimit = (a: RateLimit, b: RateLimit) => a.requests === b.requests && a.period_seconds === b.period_seconds;

/**
 * One isolate's share of one connector's token bucket. Tokens come from the
 * connector's RateLimiter in blocks sized to the isolate's traffic (one at a
 * time when traffic is light), so a busy connector costs one RPC per block.
 * Leased tokens were taken from the bucket, so the limit is never exceeded;
 * the price is strictness: tokens an isolate holds cannot serve another
 * isolate until they are given back (at most LEASE_TTL_MS later).
 *
 * No request waits on another's RPC: a promise shared across requests is
 * cancelled with the request that created it. Concurrent misses each ask for
 * one token, and only the first for a block.
 */
export class TokenLease {
	#limit: RateLimit | undefined;
	/** Leased and not yet used. */
	#tokens = 0;
	/** Tokens the bucket had left after the last grant, unrounded, and when. */
	#bucket = 0;
	#leasedAt = Number.NEGATIVE_INFINITY;
	/** After a refusal, no token is due before this. */
	#deniedUntil = 0;
	/** Leased tokens that expired or were leased under another limit: they go back with the next request. */
	#returnable = 0;
	/** Requests served since the last grant, to size the next lease. */
	#served = 0;
	#inFlight = 0;

	constructor(readonly now: () => number = Date.now) {}

	/** Decides one request, asking the bucket only when the lease cannot. */
	async take(limit: RateLimit, ask: (request: Required<TokenRequest>) => Promise<LeaseGrant>): Promise<RateDecision> {
		const local = this.#takeLocal(limit, this.now());
		if (local) return local;
		const request = { want: this.#inFlight > 0 ? 1 : this.#wanted(limit, this.now()), returned: this.#returnable };
		this.#returnable = 0;
		this.#inFlight++;
		let grant: LeaseGrant;
		try {
			grant = await ask(request);
		} finally {
			this.#inFlight--;
		}
		return this.#settle(limit, grant, this.now());
	}

	#takeLocal(limit: RateLimit, now: number): RateDecision | null {
		if (this.#limit && !sameLimit(this.#limit, limit)) {
			// A PATCHed limit applies at once: what was leased under the old one goes back.
			this.#release();
			this.#deniedUntil = 0;
			this.#limit = undefined;
		}
		if (now - this.#leasedAt >= LEASE_TTL_MS) this.#release();
		if (this.#tokens >= 1) {
			this.#tokens--;
			this.#served++;
			return decide(limit, this.#estimate(limit, now) + this.#tokens, true, 0);
		}
		// A refused isolate answers 429 itself until a token is due, instead of asking again per request.
		if (this.#limit && now < this.#deniedUntil) return decide(limit, this.#estimate(limit, now), false, this.#deniedUntil - now);
		return null;
	}

	/** Tokens for the next LEASE_WINDOW_MS at the rate served since the last grant, within the caps. */
	#wanted(limit: RateLimit, now: number): number {
		// Time stands still in a Worker between I/O, so a burst can take no measurable time at all.
		const elapsed = Math.max(1, now - this.#leasedAt);
		const rate = Number.isFinite(elapsed) ? this.#served / elapsed : 0;
		const cap = Math.min(MAX_LEASE, Math.max(1, Math.floor(limit.requests * MAX_LEASE_SHARE)));
		return Math.min(cap, Math.max(1, Math.ceil(rate * LEASE_WINDOW_MS)));
	}

	#settle(limit: RateLimit, grant: LeaseGrant, now: number): RateDecision {
		this.#limit = limit;
		this.#bucket = grant.tokens;
		this.#leasedAt = now;
		this.#served = 0;
		if (!grant.allowed) {
			this.#deniedUntil = now + grant.retryAfterMs;
			return decide(limit, grant.tokens, false, grant.retryAfterMs);
		}
		this.#deniedUntil = 0;
		this.#served = 1;
		// This request uses one of the granted tokens; the rest serve the next ones.
		this.#tokens += grant.granted - 1;
		return decide(limit, grant.tokens + this.#tokens, true, 0);
	}

	/** The bucket's tokens now, extrapolated from the last grant by the refill rate. */
	#estimate(limit: RateLimit, now: number): number {
		return Math.min(limit.requests - this.#tokens, this.#bucket + Math.max(0, now - this.#leasedAt) * refillRate(limit));
	}

	#release(): void {
		this.#returnable += this.#tokens;
		this.#tokens = 0;
	}
}
