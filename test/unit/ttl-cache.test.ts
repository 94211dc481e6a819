import { describe, expect, it } from "vitest";
import { TtlCache } from "../../src/services/auth/ttl-cache";

/** A cache on a clock the test moves by hand. */
function cacheWithClock<V>(maxEntries = 100) {
	const clock = { now: 1_000 };
	const cache = new TtlCache<V>(maxEntries, () => clock.now);
	return { cache, clock };
}

describe("TtlCache", () => {
	it("returns what was set until the TTL runs out", () => {
		const { cache, clock } = cacheWithClock<string>();
		cache.set("k", "v", 500);
		expect(cache.get("k")).toBe("v");
		clock.now += 499;
		expect(cache.get("k")).toBe("v");
		clock.now += 1;
		expect(cache.get("k")).toBeUndefined();
	});

	it("drops an expired entry when it is read, even if the clock then goes back", () => {
		const { cache, clock } = cacheWithClock<string>();
		cache.set("k", "v", 10);
		clock.now += 10;
		expect(cache.get("k")).toBeUndefined();
		clock.now -= 10;
		expect(cache.get("k")).toBeUndefined();
	});

	it("returns undefined for a key never set", () => {
		const { cache } = cacheWithClock<string>();
		expect(cache.get("missing")).toBeUndefined();
	});

	it("caches null as a value, distinct from absent", () => {
		const { cache } = cacheWithClock<string | null>();
		cache.set("unknown-key", null, 1_000);
		expect(cache.get("unknown-key")).toBeNull();
	});

	it("stores nothing with a TTL of 0 or less", () => {
		const { cache } = cacheWithClock<string>();
		cache.set("zero", "v", 0);
		cache.set("negative", "v", -5);
		expect(cache.get("zero")).toBeUndefined();
		expect(cache.get("negative")).toBeUndefined();
	});

	it("drops an existing entry when set again with a TTL of 0", () => {
		const { cache } = cacheWithClock<string>();
		cache.set("k", "v", 1_000);
		cache.set("k", "v2", 0);
		expect(cache.get("k")).toBeUndefined();
	});

	it("replaces a value and restarts its TTL when set again", () => {
		const { cache, clock } = cacheWithClock<string>();
		cache.set("k", "old", 100);
		clock.now += 90;
		cache.set("k", "new", 100);
		clock.now += 90;
		expect(cache.get("k")).toBe("new");
	});

	it("evicts the oldest entry when full", () => {
		const { cache } = cacheWithClock<number>(3);
		cache.set("a", 1, 1_000);
		cache.set("b", 2, 1_000);
		cache.set("c", 3, 1_000);
		cache.set("d", 4, 1_000);
		expect(["a", "b", "c", "d"].map((key) => cache.get(key))).toEqual([undefined, 2, 3, 4]);
	});

	it("counts a re-set entry as the newest", () => {
		const { cache } = cacheWithClock<number>(3);
		cache.set("a", 1, 1_000);
		cache.set("b", 2, 1_000);
		cache.set("c", 3, 1_000);
		cache.set("a", 10, 1_000);
		cache.set("d", 4, 1_000);
		expect(["a", "b", "c", "d"].map((key) => cache.get(key))).toEqual([10, undefined, 3, 4]);
	});

	it("does not evict when re-setting a key of a full cache", () => {
		const { cache } = cacheWithClock<number>(2);
		cache.set("a", 1, 1_000);
		cache.set("b", 2, 1_000);
		cache.set("b", 20, 1_000);
		expect([cache.get("a"), cache.get("b")]).toEqual([1, 20]);
	});

	it("deletes one key", () => {
		const { cache } = cacheWithClock<number>();
		cache.set("a", 1, 1_000);
		cache.set("b", 2, 1_000);
		cache.delete("a");
		cache.delete("never-set");
		expect([cache.get("a"), cache.get("b")]).toEqual([undefined, 2]);
	});

	it("deletes every entry whose value matches", () => {
		const { cache } = cacheWithClock<{ connector: string } | null>();
		cache.set("h1", { connector: "con_a" }, 1_000);
		cache.set("h2", { connector: "con_b" }, 1_000);
		cache.set("h3", { connector: "con_a" }, 1_000);
		cache.set("h4", null, 1_000);
		cache.deleteWhere((grant) => grant?.connector === "con_a");
		expect(["h1", "h2", "h3", "h4"].map((key) => cache.get(key))).toEqual([undefined, { connector: "con_b" }, undefined, null]);
	});

	it("clears everything", () => {
		const { cache } = cacheWithClock<number>();
		cache.set("a", 1, 1_000);
		cache.set("b", 2, 1_000);
		cache.clear();
		expect([cache.get("a"), cache.get("b")]).toEqual([undefined, undefined]);
	});
});
