import { describe, expect, it } from "vitest";
import { DEFAULT_BUDGET, LookupBudget } from "../../src/services/auth/lookup-budget";
import { FakeClock, settle } from "./fake-clock";

type Grant = { hash: string };
const options = { ...DEFAULT_BUDGET, burst: 3, refillPerSecond: 0 };

describe("LookupBudget", () => {
	it("spends its burst only on lookups that find nothing", async () => {
		const budget = new LookupBudget<Grant>(options, new FakeClock(0));
		const queries: string[][] = [];
		const many = async (hashes: string[]) => {
			queries.push(hashes);
			return hashes.filter((hash) => hash.startsWith("real")).map((hash) => ({ hash }));
		};
		// Found lookups give their token back: any number of them are answered at once, one query each.
		for (let i = 0; i < 50; i++) expect(await budget.lookup(`real${i}`, many)).toEqual({ hash: `real${i}` });
		for (let i = 0; i < 3; i++) expect(await budget.lookup(`forged${i}`, many)).toBeNull();
		expect(queries).toHaveLength(53);

		// The burst is spent: misses now go out in batches, at most one per slot; the first slot is free.
		let answered = false;
		void budget.lookup("forged3", many).then(() => (answered = true));
		await settle();
		expect(queries.at(-1)).toEqual(["forged3"]);
		expect(answered).toBe(true);
		// The slot is taken for the next 50 ms: this one waits, with no query yet.
		void budget.lookup("forged4", many);
		await settle();
		expect(queries).toHaveLength(54);
	});

	it("sends a batch again when its query never answers", async () => {
		const clock = new FakeClock(0);
		const budget = new LookupBudget<Grant>({ ...options, burst: 0 }, clock);
		const queries: string[][] = [];
		const many = (hashes: string[]) => {
			queries.push(hashes);
			// The first query hangs for ever; the resend is answered.
			return queries.length === 1 ? new Promise<Grant[]>(() => {}) : Promise.resolve([{ hash: "real" }]);
		};
		const answer = budget.lookup("real", many);
		await settle();
		expect(queries).toEqual([["real"]]);
		for (let elapsed = 0; elapsed < DEFAULT_BUDGET.resendAfterMs; elapsed += DEFAULT_BUDGET.batchIntervalMs) {
			await clock.advance(DEFAULT_BUDGET.batchIntervalMs);
		}
		expect(await answer).toEqual({ hash: "real" });
		expect(queries).toEqual([["real"], ["real"]]);
	});

	it("fails the waiters of a batch whose query fails, instead of leaving them waiting", async () => {
		const budget = new LookupBudget<Grant>({ ...options, burst: 0 }, new FakeClock(0));
		const failure = new Error("D1 unavailable");
		await expect(budget.lookup("a", () => Promise.reject(failure))).rejects.toBe(failure);
	});
});
