import { DurableObject } from "cloudflare:workers";
import { type BucketState, type RateDecision, type RateLimit, takeToken } from "./token-bucket";

const STATE_KEY = "bucket";

/**
 * One object per connector holding its token bucket: an exact, per-connector
 * configurable limit for the price of one RPC per request (see README, "Rate limits").
 */
export class RateLimiter extends DurableObject<Env> {
	#state: BucketState | undefined;
	#loaded = false;

	/** Takes one token; the limit travels with the call so a PATCHed connector applies at once. */
	async take(limit: RateLimit, now = Date.now()): Promise<Omit<RateDecision, "state">> {
		if (!this.#loaded) {
			this.#state = await this.ctx.storage.get<BucketState>(STATE_KEY);
			this.#loaded = true;
		}
		const { state, ...decision } = takeToken(this.#state, limit, now);
		this.#state = state;
		// Persisted so an evicted object does not hand out a fresh bucket; unconfirmed so the answer does not wait for the write.
		void this.ctx.storage.put(STATE_KEY, state, { allowUnconfirmed: true });
		return decision;
	}
}
