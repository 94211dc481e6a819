import { describe, expect, it } from "vitest";
import { LEASE_TTL_MS, type LeaseGrant, TokenLease } from "../../src/services/rate-limit/lease";
import { type BucketState, type RateLimit, type TokenRequest, takeTokens } from "../../src/model/token-bucket";

/** One connector's bucket, as its RateLimiter object holds it, and a clock shared with the isolates. */
function world() {
	let state: BucketState | undefined;
	const clock = { now: 0 };
	const asked: Required<TokenRequest>[] = [];
	return {
		clock,
		asked,
		/** An isolate: its own lease on the shared bucket. */
		isolate(limit: RateLimit) {
			const lease = new TokenLease(() => clock.now);
			return () =>
				lease.take(limit, async (request) => {
					asked.push(request);
					const { state: next, ...grant } = takeTokens(state, limit, clock.now, request);
					state = next;
					return grant;
				});
		},
		bucket: () => state,
	};
}

describe("TokenLease", () => {
	it("asks for one token at a time when traffic is light, so headers count down exactly", async () => {
		const w = world();
		const take = w.isolate({ requests: 3, period_seconds: 60 });
		const decisions = [];
		for (let i = 0; i < 4; i++) decisions.push(await take());
		expect(decisions.map((d) => [d.allowed, d.remaining])).toEqual([
			[true, 2],
			[true, 1],
			[true, 0],
			[false, 0],
		]);
		expect(decisions[3]?.retryAfterSeconds).toBe(20);
		expect(w.asked.every((request) => request.want === 1)).toBe(true);
	});

	it("leases a block once traffic is steady: one bucket call serves many requests", async () => {
		const w = world();
		const take = w.isolate({ requests: 10_000, period_seconds: 10 });
		let allowed = 0;
		for (let i = 0; i < 1000; i++) {
			w.clock.now += 1;
			if ((await take()).allowed) allowed++;
		}
		expect(allowed).toBe(1000);
		expect(w.asked.length).toBeLessThan(50);
		expect(Math.max(...w.asked.map((request) => request.want))).toBeGreaterThan(10);
	});

	it("counts RateLimit-Remaining across leased tokens as one bucket would", async () => {
		const w = world();
		const take = w.isolate({ requests: 100, period_seconds: 3600 });
		const remaining = [];
		for (let i = 0; i < 30; i++) remaining.push((await take()).remaining);
		expect(remaining).toEqual(Array.from({ length: 30 }, (_, i) => 99 - i));
		expect(w.asked.length).toBeLessThan(30);
	});

	it("never lets several isolates together pass more than the bucket allows", async () => {
		const w = world();
		const limit = { requests: 50, period_seconds: 1 };
		const isolates = [w.isolate(limit), w.isolate(limit), w.isolate(limit)];
		let allowed = 0;
		for (let i = 0; i < 3000; i++) {
			w.clock.now += 1;
			const take = isolates[(i * 7) % 3];
			if (take && (await take()).allowed) allowed++;
		}
		// A full bucket plus 3 s of refill, whatever the leases hold.
		expect(allowed).toBeLessThanOrEqual(50 + 150);
		expect(allowed).toBeGreaterThan(100);
	});

	it("gives unused tokens back once they have been held for LEASE_TTL_MS", async () => {
		const w = world();
		const limit = { requests: 1000, period_seconds: 3600 };
		const take = w.isolate(limit);
		for (let i = 0; i < 20; i++) await take();
		const leased = w.asked.reduce((sum, request) => sum + request.want, 0);
		expect(leased).toBeGreaterThan(20);
		w.clock.now += LEASE_TTL_MS;
		await take();
		expect(w.asked.at(-1)?.returned).toBe(leased - 20);
		// 21 used in all, and the last block is held: everything else is back in the bucket, plus a second's refill.
		const held = (w.asked.at(-1)?.want ?? 1) - 1;
		expect(w.bucket()?.tokens).toBeCloseTo(1000 - 21 - held + (LEASE_TTL_MS * 1000) / 3_600_000, 6);
	});

	it("answers 429 itself after a refusal until a token is due, then asks again", async () => {
		const w = world();
		const take = w.isolate({ requests: 1, period_seconds: 10 });
		expect((await take()).allowed).toBe(true);
		expect((await take()).allowed).toBe(false);
		const calls = w.asked.length;
		w.clock.now += 9_000;
		const refused = await take();
		expect(refused).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
		expect(w.asked.length).toBe(calls);
		w.clock.now += 1_000;
		expect((await take()).allowed).toBe(true);
		expect(w.asked.length).toBe(calls + 1);
	});

	it("applies a changed limit at once, giving back what it leased under the old one", async () => {
		const w = world();
		const lease = new TokenLease(() => w.clock.now);
		const asked: Required<TokenRequest>[] = [];
		let state: BucketState | undefined;
		const take = (limit: RateLimit) =>
			lease.take(limit, async (request) => {
				asked.push(request);
				const { state: next, ...grant } = takeTokens(state, limit, w.clock.now, request);
				state = next;
				return grant;
			});
		const one = { requests: 1, period_seconds: 3600 };
		expect((await take(one)).allowed).toBe(true);
		expect((await take(one)).allowed).toBe(false);
		const raised = await take({ requests: 100, period_seconds: 1 });
		expect(raised).toMatchObject({ allowed: true, limit: 100 });
	});

	it("asks for one token, not a block, while another request's call is in flight", async () => {
		const lease = new TokenLease(() => 0);
		const limit = { requests: 1000, period_seconds: 1 };
		const asked: number[] = [];
		let release: () => void = () => {};
		const gate = new Promise<void>((resolve) => {
			release = resolve;
		});
		const ask = async (request: Required<TokenRequest>) => {
			asked.push(request.want);
			await gate;
			return { allowed: true, granted: request.want, tokens: 500, retryAfterMs: 0 };
		};
		const pending = [lease.take(limit, ask), lease.take(limit, ask), lease.take(limit, ask)];
		release();
		const decisions = await Promise.all(pending);
		expect(decisions.every((d) => d.allowed)).toBe(true);
		expect(asked).toEqual([1, 1, 1]);
	});
});

describe("TokenLease, asking ahead in the background", () => {
	/** `connections` requests at a time on one isolate, each call to the bucket answered a few turns later. */
	async function steadyLoad(background: boolean, connections = 10, requests = 2000) {
		let state: BucketState | undefined;
		const clock = { now: 0 };
		const asked: Required<TokenRequest>[] = [];
		const limit = { requests: 1_000_000, period_seconds: 1 };
		const lease = new TokenLease(() => clock.now);
		const calls: Promise<unknown>[] = [];
		const turns = async (count: number) => {
			for (let turn = 0; turn < count; turn++) await Promise.resolve();
		};
		const ask = async (request: Required<TokenRequest>) => {
			asked.push(request);
			await turns(20);
			const { state: next, ...grant } = takeTokens(state, limit, clock.now, request);
			state = next;
			return grant;
		};
		let started = 0;
		let allowed = 0;
		await Promise.all(
			Array.from({ length: connections }, async () => {
				while (started++ < requests) {
					clock.now += 1;
					if ((await lease.take(limit, ask, background ? (call) => calls.push(call) : undefined)).allowed) allowed++;
					await turns(2);
				}
			}),
		);
		await Promise.all(calls);
		const leased = asked.reduce((sum, request) => sum + request.want, 0);
		return { asked: asked.length, allowed, leased };
	}

	it("asks for the next block while the lease still serves, instead of one call per request in flight", async () => {
		const without = await steadyLoad(false);
		const ahead = await steadyLoad(true);
		expect(without.allowed).toBe(2000);
		expect(ahead.allowed).toBe(2000);
		expect(ahead.asked).toBeLessThan(without.asked / 2);
		// Every token used came out of the bucket.
		expect(ahead.leased).toBeGreaterThanOrEqual(2000);
	});

	it("sizes blocks to outlast a slow bucket: several of its round trips of traffic, at most half of LEASE_TTL_MS", async () => {
		const wants = async (roundTripMs: number) => {
			let state: BucketState | undefined;
			const clock = { now: 0 };
			const asked: number[] = [];
			const limit = { requests: 1_000_000, period_seconds: 1 };
			const lease = new TokenLease(() => clock.now);
			for (let i = 0; i < 3000; i++) {
				clock.now += 1;
				await lease.take(limit, async (request) => {
					asked.push(request.want);
					clock.now += roundTripMs;
					const { state: next, ...grant } = takeTokens(state, limit, clock.now, request);
					state = next;
					return grant;
				});
			}
			return Math.max(...asked);
		};
		// One request a millisecond: 100 ms of traffic while the bucket answers at once...
		expect(await wants(0)).toBe(100);
		// ...four round trips of it when the bucket takes 60 ms, and never more than LEASE_TTL_MS / 2.
		expect(await wants(60)).toBeGreaterThan(150);
		expect(await wants(1_000)).toBeLessThanOrEqual(LEASE_TTL_MS / 2);
	});

	it("gives back a background grant that arrives after the limit changed", async () => {
		const lease = new TokenLease(() => 0);
		const asked: Required<TokenRequest>[] = [];
		const pending: ((grant: LeaseGrant) => void)[] = [];
		const ask = (request: Required<TokenRequest>) => {
			asked.push(request);
			return new Promise<LeaseGrant>((resolve) => pending.push(resolve));
		};
		const grant = (granted: number): LeaseGrant => ({ allowed: true, granted, tokens: 5000, retryAfterMs: 0 });
		const calls: Promise<unknown>[] = [];
		const background = (call: Promise<unknown>) => calls.push(call);
		const old = { requests: 10_000, period_seconds: 10 };
		const first = lease.take(old, ask, background);
		pending.shift()?.(grant(10));
		expect((await first).allowed).toBe(true);
		// Nine tokens left; the fifth use leaves four, under half the block: the next block is asked for ahead.
		for (let i = 0; i < 5; i++) expect((await lease.take(old, ask, background)).allowed).toBe(true);
		expect(asked).toHaveLength(2);
		expect(calls).toHaveLength(1);
		// The limit changes while that call is out: the four leased tokens go back with the next call...
		const raised = { requests: 20_000, period_seconds: 10 };
		const changed = lease.take(raised, ask, background);
		expect(asked[2]).toEqual({ want: 1, returned: 4 });
		pending.shift()?.(grant(10));
		await Promise.all(calls);
		pending.shift()?.(grant(1));
		expect((await changed).limit).toBe(20_000);
		// ...and so does the block granted under the old limit.
		const next = lease.take(raised, ask, background);
		expect(asked[3]?.returned).toBe(10);
		pending.shift()?.(grant(1));
		expect((await next).allowed).toBe(true);
	});
});
