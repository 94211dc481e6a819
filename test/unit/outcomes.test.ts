import { describe, expect, it } from "vitest";
import { groupBy, retryDelaySeconds } from "../../src/services/queue/outcomes";

describe("retryDelaySeconds", () => {
	it("doubles from 2 s and stops at 5 minutes", () => {
		expect([1, 2, 3, 4, 5, 6].map((attempts) => retryDelaySeconds(attempts))).toEqual([2, 4, 8, 16, 32, 64]);
		expect(retryDelaySeconds(9)).toBe(300);
		expect(retryDelaySeconds(50)).toBe(300);
		expect(retryDelaySeconds(0)).toBe(2);
	});

	it("stops at the configured cap instead", () => {
		expect([1, 2, 3].map((attempts) => retryDelaySeconds(attempts, 3))).toEqual([2, 3, 3]);
		expect(retryDelaySeconds(4, 0)).toBe(0);
	});
});

describe("groupBy", () => {
	it("groups in first-seen order and keeps the order within a group", () => {
		const groups = groupBy(["a1", "b1", "a2", "c1", "b2"], (value) => value[0] as string);
		expect([...groups]).toEqual([
			["a", ["a1", "a2"]],
			["b", ["b1", "b2"]],
			["c", ["c1"]],
		]);
	});
});
