import { type RateDecision, type RateLimit, type TokenGrant, type TokenRequest, decide, refillRate } from "../../model/token-bucket";

/** Leased tokens unused this long are given back with the next lease: tokens are never stranded for long. */
export const LEASE_TTL_MS = 1000;
/** A lease covers about this much of the isolate's recent traffic for the connector. */
export const LEASE_WINDOW_MS = 100;
// However busy the isolate, one lease takes at most a tenth of the limit (and 1,000), leaving the rest to other isolates.
const MAX_LEASE_SHARE = 0.1;
const MAX_LEASE = 1000;
/**
 * Once a block of at least two tokens is down to this share, the next one is asked for in the
 * background while the rest still serve requests: at steady traffic no request waits on the bucket.
 */
const REFILL_AHEAD_SHARE = 0.5;
/** However slow the bucket's answers, a block covers at most this much traffic, well within LEASE_TTL_MS. */
const MAX_LEASE_WINDOW_MS = LEASE_TTL_MS / 2;
/** A block covers this many of the bucket's recent round trips: asked for at half a block, it comes before the lease runs dry. */
const ROUND_TRIPS_PER_BLOCK = 4;
/** A background lease not answered by then (its RPC hangs) no longer stops another from starting. */
const REFILL_STALE_MS = 5000;

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
 * one token, and only the first for a block. Under steady traffic the next
 * block is asked for ahead (REFILL_AHEAD_SHARE), by a request that was served
 * from the lease and hands the call to `background` (its waitUntil): the
 * call's answer only adds tokens, which no request awaits. Without concurrent
 * misses at the end of every block, an isolate makes about one call per block
 * instead of one per request in flight; it may hold up to one and a half
 * blocks.
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
	/** Requests served since the last block was granted, and when that was: the traffic that sizes the next one. */
	#served = 0;
	#servedSince = Number.NEGATIVE_INFINITY;
	/** The bucket's recent round trip (ms, smoothed): a block must outlast the call that refills it. */
	#roundTrip = 0;
	#inFlight = 0;
	/** The size of the last block granted, to tell when to ask for the next one ahead. */
	#block = 0;
	/** When a background lease was started and is not answered yet, else null. */
	#refillingSince: number | null = null;
	/** The limit of the latest request: a background grant under another one goes back. */
	#current: RateLimit | undefined;

	constructor(readonly now: () => number = Date.now) {}

	/**
	 * Decides one request, asking the bucket only when the lease cannot. With `background`, a request
	 * served from the lease may start the next block's call ahead and hand its promise over (to waitUntil).
	 */
	async take(
		limit: RateLimit,
		ask: (request: Required<TokenRequest>) => Promise<LeaseGrant>,
		background?: (call: Promise<unknown>) => void,
	): Promise<RateDecision> {
		const local = this.#takeLocal(limit, this.now());
		if (local) {
			if (background && local.allowed) this.#refillAhead(limit, ask, background);
			return local;
		}
		const refilling = this.#refillingSince !== null && this.now() - this.#refillingSince < REFILL_STALE_MS;
		// A call beside another one asks for one token only, and its grant does not size the next ask ahead.
		const beside = this.#inFlight > 0 || refilling;
		const request = { want: beside ? 1 : this.#wanted(limit, this.now()), returned: this.#returnable };
		this.#returnable = 0;
		this.#inFlight++;
		const asked = this.now();
		let grant: LeaseGrant;
		try {
			grant = await ask(request);
		} finally {
			this.#inFlight--;
		}
		this.#timed(asked);
		return this.#settle(limit, grant, this.now(), beside);
	}

	#takeLocal(limit: RateLimit, now: number): RateDecision | null {
		this.#current = limit;
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

	/**
	 * Tokens for the next LEASE_WINDOW_MS (longer when the bucket answers slowly: ROUND_TRIPS_PER_BLOCK round trips,
	 * at most MAX_LEASE_WINDOW_MS) at the rate served since the last block, within the caps.
	 */
	#wanted(limit: RateLimit, now: number): number {
		// Time stands still in a Worker between I/O, so a burst can take no measurable time at all.
		const elapsed = Math.max(1, now - this.#servedSince);
		const rate = Number.isFinite(elapsed) ? this.#served / elapsed : 0;
		const window = Math.min(MAX_LEASE_WINDOW_MS, Math.max(LEASE_WINDOW_MS, ROUND_TRIPS_PER_BLOCK * this.#roundTrip));
		const cap = Math.min(MAX_LEASE, Math.max(1, Math.floor(limit.requests * MAX_LEASE_SHARE)));
		return Math.min(cap, Math.max(1, Math.ceil(rate * window)));
	}

	/** Counts a call's round trip into the smoothed figure. */
	#timed(asked: number): void {
		const took = Math.max(0, this.now() - asked);
		this.#roundTrip = this.#roundTrip === 0 ? took : 0.7 * this.#roundTrip + 0.3 * took;
	}

	/** Starts the next block's call while the lease still holds tokens, once it is low. */
	#refillAhead(limit: RateLimit, ask: (request: Required<TokenRequest>) => Promise<LeaseGrant>, background: (call: Promise<unknown>) => void): void {
		const now = this.now();
		if (this.#block < 2 || this.#tokens >= this.#block * REFILL_AHEAD_SHARE) return;
		if (this.#refillingSince !== null && now - this.#refillingSince < REFILL_STALE_MS) return;
		const since = now;
		this.#refillingSince = since;
		const request = { want: this.#wanted(limit, now), returned: this.#returnable };
		this.#returnable = 0;
		const call = ask(request).then(
			(grant) => {
				if (this.#refillingSince === since) this.#refillingSince = null;
				this.#timed(since);
				this.#absorb(limit, grant, this.now());
			},
			() => {
				// The tokens asked for may be gone from the bucket; the ones given back may not have arrived. Either way
				// the bucket only errs towards strictness, and the next miss asks in its own request.
				if (this.#refillingSince === since) this.#refillingSince = null;
			},
		);
		background(call);
	}

	/** Adds a background grant to the lease; tokens granted under a limit no longer in force go back. */
	#absorb(limit: RateLimit, grant: LeaseGrant, now: number): void {
		if (!this.#current || !sameLimit(this.#current, limit)) {
			this.#returnable += grant.granted;
			return;
		}
		if (now - this.#leasedAt >= LEASE_TTL_MS) this.#release();
		this.#limit = limit;
		this.#bucket = grant.tokens;
		this.#leasedAt = now;
		this.#served = 0;
		this.#servedSince = now;
		if (!grant.allowed) {
			// Requests go on with what is leased; once it is spent the isolate refuses until a token is due.
			this.#deniedUntil = now + grant.retryAfterMs;
			this.#block = 0;
			return;
		}
		this.#deniedUntil = 0;
		this.#tokens += grant.granted;
		this.#block = grant.granted;
	}

	#settle(limit: RateLimit, grant: LeaseGrant, now: number, beside: boolean): RateDecision {
		this.#limit = limit;
		this.#bucket = grant.tokens;
		this.#leasedAt = now;
		// A token asked for beside another call is no block: the traffic counted for the next block goes on.
		if (!beside) {
			this.#served = 0;
			this.#servedSince = now;
		}
		if (!grant.allowed) {
			this.#deniedUntil = now + grant.retryAfterMs;
			this.#block = 0;
			return decide(limit, grant.tokens, false, grant.retryAfterMs);
		}
		this.#deniedUntil = 0;
		this.#served++;
		if (!beside) this.#block = grant.granted;
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
