import { describe, expect, it } from "vitest";
import { type BucketState, type RateLimit, rateLimitHeaders, takeTokens } from "../../src/model/token-bucket";

const THREE_PER_MINUTE: RateLimit = { requests: 3, period_seconds: 60 };

/** One request's token. */
const takeToken = (state: BucketState | undefined, limit: RateLimit, now: number) => takeTokens(state, limit, now);

/** Takes `count` tokens at the same instant, returning every decision. */
function takeMany(count: number, limit: RateLimit, now: number, state?: BucketState) {
	const decisions = [];
	let current = state;
	for (let i = 0; i < count; i++) {
		const decision = takeToken(current, limit, now);
		decisions.push(decision);
		current = decision.state;
	}
	return decisions;
}

describe("takeToken", () => {
	it("starts with a full bucket", () => {
		const decision = takeToken(undefined, THREE_PER_MINUTE, 1_000);
		expect(decision).toMatchObject({ allowed: true, limit: 3, remaining: 2, retryAfterSeconds: 0 });
		expect(decision.state).toEqual({ tokens: 2, updatedAt: 1_000, capacity: 3 });
	});

	it("allows `requests` requests at once, then refuses", () => {
		const decisions = takeMany(5, THREE_PER_MINUTE, 0);
		expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false, false]);
		expect(decisions.map((d) => d.remaining)).toEqual([2, 1, 0, 0, 0]);
	});

	it("gives RateLimit-Reset as the seconds until the bucket is full again", () => {
		// 3 per 60 s refills one token every 20 s.
		expect(takeMany(3, THREE_PER_MINUTE, 0).map((d) => d.resetSeconds)).toEqual([20, 40, 60]);
	});

	it("gives Retry-After as the seconds until one token is back", () => {
		const [, , , refused] = takeMany(4, THREE_PER_MINUTE, 0);
		expect(refused).toMatchObject({ allowed: false, remaining: 0, retryAfterSeconds: 20, resetSeconds: 60 });
	});

	it("shortens Retry-After as time passes", () => {
		const empty: BucketState = { tokens: 0, updatedAt: 0 };
		expect(takeToken(empty, THREE_PER_MINUTE, 10_000)).toMatchObject({ allowed: false, retryAfterSeconds: 10, resetSeconds: 50 });
		expect(takeToken(empty, THREE_PER_MINUTE, 19_001)).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
	});

	it("rounds Retry-After up to a whole second, and never below 1", () => {
		const empty: BucketState = { tokens: 0, updatedAt: 0 };
		const limit: RateLimit = { requests: 7, period_seconds: 60 }; // a token every 8.57 s
		expect(takeToken(empty, limit, 0).retryAfterSeconds).toBe(9);
		expect(takeToken(empty, { requests: 1000, period_seconds: 1 }, 0).retryAfterSeconds).toBe(1);
	});

	it("allows a request once Retry-After has passed", () => {
		for (const limit of [THREE_PER_MINUTE, { requests: 7, period_seconds: 60 }, { requests: 1000, period_seconds: 10 }]) {
			const refused = takeMany(limit.requests + 1, limit, 0).at(-1);
			expect(refused?.allowed).toBe(false);
			const later = takeToken(refused?.state, limit, (refused?.retryAfterSeconds ?? 0) * 1000);
			expect(later.allowed).toBe(true);
		}
	});

	it("refills at requests / period_seconds", () => {
		const [, , emptied] = takeMany(3, THREE_PER_MINUTE, 0);
		expect(takeToken(emptied?.state, THREE_PER_MINUTE, 19_999).allowed).toBe(false);
		const refilled = takeToken(emptied?.state, THREE_PER_MINUTE, 20_000);
		expect(refilled).toMatchObject({ allowed: true, remaining: 0 });
		expect(takeToken(emptied?.state, THREE_PER_MINUTE, 40_000)).toMatchObject({ allowed: true, remaining: 1 });
	});

	it("never refills beyond capacity", () => {
		const [first] = takeMany(1, THREE_PER_MINUTE, 0);
		const muchLater = takeToken(first?.state, THREE_PER_MINUTE, 24 * 3600 * 1000);
		expect(muchLater).toMatchObject({ allowed: true, remaining: 2 });
		expect(muchLater.state.tokens).toBe(2);
	});

	it("keeps the refused request's refill in the state, so refusals do not lose time", () => {
		const empty: BucketState = { tokens: 0, updatedAt: 0 };
		const refused = takeToken(empty, THREE_PER_MINUTE, 10_000);
		expect(refused.state).toEqual({ tokens: 0.5, updatedAt: 10_000, capacity: 3 });
		expect(takeToken(refused.state, THREE_PER_MINUTE, 20_000).allowed).toBe(true);
	});

	it("does not refill when the clock goes backwards", () => {
		const state: BucketState = { tokens: 0, updatedAt: 50_000 };
		expect(takeToken(state, THREE_PER_MINUTE, 0)).toMatchObject({ allowed: false, retryAfterSeconds: 20 });
	});

	it("caps the tokens when the limit is lowered", () => {
		const [fresh] = takeMany(1, { requests: 100, period_seconds: 60 }, 0);
		expect(fresh?.state.tokens).toBe(99);
		const lowered = takeMany(3, { requests: 2, period_seconds: 60 }, 0, fresh?.state);
		expect(lowered.map((d) => [d.allowed, d.limit, d.remaining])).toEqual([
			[true, 2, 1],
			[true, 2, 0],
			[false, 2, 0],
		]);
	});

	it("grants a raised limit's extra allowance at once", () => {
		const emptied = takeMany(2, { requests: 2, period_seconds: 60 }, 0).at(-1);
		expect(emptied?.state).toEqual({ tokens: 0, updatedAt: 0, capacity: 2 });
		const raised: RateLimit = { requests: 10, period_seconds: 60 };
		const decisions = takeMany(9, raised, 0, emptied?.state);
		expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, true, true, true, true, true, false]);
		expect(decisions[0]).toMatchObject({ limit: 10, remaining: 7 });
		expect(decisions.at(-1)?.state.capacity).toBe(10);
	});

	it("grants a raise only once", () => {
		const emptied = takeMany(2, { requests: 2, period_seconds: 60 }, 0).at(-1);
		const raised: RateLimit = { requests: 4, period_seconds: 60 };
		const afterRaise = takeMany(3, raised, 0, emptied?.state);
		expect(afterRaise.map((d) => d.allowed)).toEqual([true, true, false]);
	});

	it("grants nothing extra to a state saved without its capacity", () => {
		const legacy: BucketState = { tokens: 0, updatedAt: 0 };
		expect(takeToken(legacy, { requests: 100, period_seconds: 60 }, 0).allowed).toBe(false);
	});
});

describe("takeToken rounding", () => {
	it("does not round Retry-After up past the moment a token is back", () => {
		const limit = { requests: 11, period_seconds: 33 };
		const refused = takeToken({ tokens: 0, updatedAt: 0 }, limit, 1000);
		expect(refused.allowed).toBe(false);
		expect(refused.retryAfterSeconds).toBe(2);
		expect(takeToken({ tokens: 0, updatedAt: 0 }, limit, 1000 + refused.retryAfterSeconds * 1000).allowed).toBe(true);
	});
});

describe("rateLimitHeaders", () => {
	it("sets the RateLimit headers, without Retry-After, when allowed", () => {
		expect(rateLimitHeaders(takeToken(undefined, THREE_PER_MINUTE, 0))).toEqual({
			"RateLimit-Limit": "3",
			"RateLimit-Remaining": "2",
			"RateLimit-Reset": "20",
		});
	});

	it("adds Retry-After when refused", () => {
		const refused = takeMany(4, THREE_PER_MINUTE, 0).at(-1);
		expect(refused && rateLimitHeaders(refused)).toEqual({
			"RateLimit-Limit": "3",
			"RateLimit-Remaining": "0",
			"RateLimit-Reset": "60",
			"Retry-After": "20",
		});
	});
});
