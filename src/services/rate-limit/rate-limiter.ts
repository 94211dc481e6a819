import { DurableObject } from "cloudflare:workers";
import { type BucketState, type RateLimit, type TokenGrant, type TokenRequest, takeTokens } from "../../model/token-bucket";

const STATE_KEY = "bucket";
// A storage commit per request was most of the limiter's cost; state is written at most this often instead.
const FLUSH_MS = 1000;

/**
 * One object per connector holding its token bucket: an exact, per-connector
 * configurable limit. Isolates lease tokens from it in blocks sized to their
 * traffic (lease.ts), so a busy connector costs one RPC per block, not per request.
 */
export class RateLimiter extends DurableObject<Env> {
	#state: BucketState | undefined;
	#loaded = false;
	#flush: ReturnType<typeof setTimeout> | undefined;

	/** Grants up to `request.want` tokens (default 1); the limit travels with the call so a PATCHed connector applies at once. */
	async take(limit: RateLimit, request: TokenRequest = {}): Promise<Omit<TokenGrant, "state">> {
		if (!this.#loaded) {
			this.#state = await this.ctx.storage.get<BucketState>(STATE_KEY);
			this.#loaded = true;
		}
		const { state, ...grant } = takeTokens(this.#state, limit, Date.now(), request);
		this.#state = state;
		this.#scheduleFlush();
		return grant;
	}

	/**
	 * Persists the bucket within FLUSH_MS of a take, so an evicted object does not hand out
	 * a fresh bucket. An object reset before its flush forgets at most FLUSH_MS of takes:
	 * that many extra requests may pass, the price of not writing once per request.
	 */
	#scheduleFlush(): void {
		if (this.#flush !== undefined) return;
		this.#flush = setTimeout(() => {
			this.#flush = undefined;
			if (this.#state) void this.ctx.storage.put(STATE_KEY, this.#state);
		}, FLUSH_MS);
	}
}
