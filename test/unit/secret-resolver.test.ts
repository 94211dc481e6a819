import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/services/auth/secrets";
import { DEFAULT_BUDGET, LookupBudget } from "../../src/services/auth/lookup-budget";
import { secretResolver } from "../../src/services/auth/secret-resolver";
import { ApiError } from "../../src/model/errors";
import { FakeClock } from "./fake-clock";

const env = { DB: {}, AUTH_CACHE_TTL_SECONDS: "30" } as unknown as Env;

describe("secretResolver", () => {
	it("looks a secret up once, then answers from the cache, unknown ones included", async () => {
		const real = await sha256Hex("sk_real");
		const lookups: string[] = [];
		const resolver = secretResolver(/^sk_/, async (_db, hashes) => {
			lookups.push(...hashes);
			return hashes.filter((hash) => hash === real).map((hash) => ({ hash, owner: "a" }));
		});
		expect(await resolver.resolve(env, "sk_real")).toEqual({ hash: real, owner: "a" });
		expect(await resolver.resolve(env, "sk_real")).toEqual({ hash: real, owner: "a" });
		expect(await resolver.resolve(env, "sk_forged")).toBeNull();
		expect(await resolver.resolve(env, "sk_forged")).toBeNull();
		expect(await resolver.resolve(env, "not-our-format")).toBeNull();
		expect(lookups).toHaveLength(2);
	});

	it("keeps known secrets cached through a flood of forged ones", async () => {
		let lookups = 0;
		const real = await sha256Hex("sk_real");
		// A budget this flood cannot spend: this test is about the caches.
		const budget = new LookupBudget<{ hash: string }>({ ...DEFAULT_BUDGET, burst: 20_000 });
		const resolver = secretResolver(
			/^sk_/,
			async (_db, hashes) => {
				lookups++;
				return hashes.filter((hash) => hash === real).map((hash) => ({ hash }));
			},
			budget,
		);
		await resolver.resolve(env, "sk_real");
		for (let i = 0; i < 10_050; i++) await resolver.resolve(env, `sk_forged_${i}`);
		const before = lookups;
		expect(await resolver.resolve(env, "sk_real")).toEqual({ hash: real });
		expect(lookups).toBe(before);
	});

	it("forgets a secret at once, known or unknown", async () => {
		let exists = false;
		const resolver = secretResolver(/^sk_/, async (_db, hashes) => (exists ? hashes.map((hash) => ({ hash })) : []));
		expect(await resolver.resolve(env, "sk_new")).toBeNull();
		exists = true;
		resolver.forget(await sha256Hex("sk_new"));
		expect(await resolver.resolve(env, "sk_new")).not.toBeNull();
		exists = false;
		resolver.forget(await sha256Hex("sk_new"));
		expect(await resolver.resolve(env, "sk_new")).toBeNull();
	});

	it("bounds the D1 queries of a flood of distinct forged secrets, and still lets a real one in", async () => {
		const clock = new FakeClock(1_700_000_000_000);
		const real = await sha256Hex("sk_real");
		const queries: string[][] = [];
		const resolver = secretResolver(
			/^sk_/,
			async (_db, hashes) => {
				queries.push(hashes);
				return hashes.filter((hash) => hash === real).map((hash) => ({ hash }));
			},
			new LookupBudget<{ hash: string }>(DEFAULT_BUDGET, clock),
		);
		const forged = Array.from({ length: 1_000 }, (_, i) => `sk_forged_${i}`);
		const answers = Promise.all([...forged.slice(0, 600), "sk_real", ...forged.slice(600)].map((secret) => resolver.resolve(env, secret)));
		let done = false;
		void answers.then(() => (done = true));
		let slots = 0;
		while (!done) {
			await clock.advance(DEFAULT_BUDGET.batchIntervalMs);
			slots += 1;
		}
		const results = await answers;
		expect(results.filter((grant) => grant !== null)).toEqual([{ hash: real }]);
		// The burst one by one, then at most one query per slot, each carrying at most a batch.
		expect(queries.filter((hashes) => hashes.length === 1).length).toBeGreaterThanOrEqual(DEFAULT_BUDGET.burst);
		expect(queries.length).toBeLessThanOrEqual(DEFAULT_BUDGET.burst + slots + 1);
		expect(queries.length).toBeLessThan(120);
		expect(Math.max(...queries.map((hashes) => hashes.length))).toBeLessThanOrEqual(DEFAULT_BUDGET.batchSize);
		expect(new Set(queries.flat()).size).toBe(1_001);
		// Answers are cached: the same flood again costs nothing.
		const before = queries.length;
		await Promise.all(forged.map((secret) => resolver.resolve(env, secret)));
		expect(queries.length).toBe(before);
	});

	it("answers 429 with Retry-After when more unknown secrets wait than the budget queues", async () => {
		const budget = new LookupBudget<{ hash: string }>({ ...DEFAULT_BUDGET, burst: 0, maxWaiting: 2 }, new FakeClock(0));
		// D1 never answers, so the first two stay waiting.
		const resolver = secretResolver(/^sk_/, () => new Promise<{ hash: string }[]>(() => {}), budget);
		void resolver.resolve(env, "sk_a");
		void resolver.resolve(env, "sk_b");
		const refused = await resolver.resolve(env, "sk_c").catch((error: unknown) => error);
		expect(refused).toBeInstanceOf(ApiError);
		expect(refused).toMatchObject({ status: 429, code: "RATE_LIMITED", headers: { "Retry-After": "1" } });
	});
});

describe("secretResolver's hash memo", () => {
	it("still refuses a revoked secret at once after its hash was memoised", async () => {
		let live = true;
		const resolver = secretResolver(/^sk_/, async (_db, hashes) => (live ? hashes.map((hash) => ({ hash })) : []));
		expect(await resolver.resolve(env, "sk_key")).not.toBeNull();
		expect(await resolver.resolve(env, "sk_key")).not.toBeNull();
		live = false;
		resolver.forget(await sha256Hex("sk_key"));
		expect(await resolver.resolve(env, "sk_key")).toBeNull();
	});

	it("refuses a revoked secret elsewhere once the grant's TTL is over, memo or not", async () => {
		const clock = new FakeClock(1_700_000_000_000);
		const realNow = Date.now;
		Date.now = () => clock.now();
		try {
			let live = true;
			const resolver = secretResolver(/^sk_/, async (_db, hashes) => (live ? hashes.map((hash) => ({ hash })) : []));
			expect(await resolver.resolve(env, "sk_key")).not.toBeNull();
			live = false;
			await clock.advance(29_000);
			expect(await resolver.resolve(env, "sk_key")).not.toBeNull();
			await clock.advance(1_000);
			expect(await resolver.resolve(env, "sk_key")).toBeNull();
		} finally {
			Date.now = realNow;
		}
	});
});
