import { describe, expect, it } from "vitest";
import { newId, newRequestId } from "../../src/model/ids";

const CROCKFORD = /^[0-9a-hjkmnp-tv-z]+$/;

describe("newRequestId", () => {
	it("is req_ and 26 lower-case Crockford base32 characters", () => {
		const id = newRequestId();
		expect(id).toMatch(/^req_[0-9a-z]{26}$/);
		expect(id.slice(4)).toMatch(CROCKFORD);
	});

	it("starts with the time: 10 characters of milliseconds since the epoch", () => {
		expect(newRequestId(0).slice(4, 14)).toBe("0000000000");
		expect(newRequestId(1).slice(4, 14)).toBe("0000000001");
		expect(newRequestId(32).slice(4, 14)).toBe("0000000010");
		// 2^50 - 1 is the last millisecond the 10 characters can spell.
		expect(newRequestId(2 ** 50 - 1).slice(4, 14)).toBe("zzzzzzzzzz");
	});

	it("sorts by the time it was made", () => {
		const times = [0, 1, 31, 32, 999, 1_000, Date.UTC(2026, 10, 26), Date.UTC(2026, 10, 26) + 1, Date.UTC(2100, 0, 1)];
		const ids = times.map((time) => newRequestId(time));
		expect([...ids].sort()).toEqual(ids);
	});

	it("differs between ids of the same millisecond", () => {
		const ids = new Set(Array.from({ length: 1000 }, () => newRequestId(1_000)));
		expect(ids.size).toBe(1000);
	});

	it("ignores fractions of a millisecond", () => {
		expect(newRequestId(1_000.9).slice(0, 14)).toBe(newRequestId(1_000).slice(0, 14));
	});
});

describe("newId", () => {
	it("is the prefix, an underscore, 10 time and 12 random characters", () => {
		const id = newId("con");
		expect(id).toMatch(/^con_[0-9a-z]{22}$/);
		expect(id.slice(4)).toMatch(CROCKFORD);
	});

	it("sorts by creation time and is unique within a millisecond", () => {
		expect(newId("key", 1_000) < newId("key", 1_001)).toBe(true);
		expect(new Set(Array.from({ length: 1000 }, () => newId("key", 5))).size).toBe(1000);
	});
});

describe("ids made within one millisecond", () => {
	it("still sort in the order they were made", () => {
		const at = Date.now() + 10_000;
		const ids = Array.from({ length: 200 }, () => newRequestId(at));
		expect([...ids].sort()).toEqual(ids);
		expect(new Set(ids).size).toBe(ids.length);
		expect(ids.every((id) => id.startsWith(ids[0]?.slice(0, 14) ?? "?"))).toBe(true);
	});
});
