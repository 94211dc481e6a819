import { describe, expect, it } from "vitest";
import { jsonArrayBytes, planBatches } from "../../../src/sdk/index.ts";

describe("jsonArrayBytes", () => {
	it("counts brackets and commas", () => {
		expect(jsonArrayBytes(0, 0)).toBe(2);
		expect(jsonArrayBytes(1, 7)).toBe(9);
		expect(jsonArrayBytes(3, 30)).toBe(34);
		const items = ['{"a":1}', '{"b":"é"}', "{}"];
		expect(jsonArrayBytes(items.length, items.reduce((n, s) => n + new TextEncoder().encode(s).byteLength, 0))).toBe(
			new TextEncoder().encode(`[${items.join(",")}]`).byteLength,
		);
	});
});

describe("planBatches", () => {
	it("cuts by count", () => {
		expect(planBatches([1, 1, 1, 1, 1, 1, 1], { maxItems: 3, maxBytes: 1000 })).toEqual([3, 3, 1]);
	});

	it("cuts by bytes, filling each batch exactly up to the limit", () => {
		// Two items of 10 bytes make [a,b] = 23 bytes.
		expect(planBatches([10, 10, 10], { maxItems: 100, maxBytes: 23 })).toEqual([2, 1]);
		expect(planBatches([10, 10, 10], { maxItems: 100, maxBytes: 22 })).toEqual([1, 1, 1]);
		expect(planBatches([10, 10, 10], { maxItems: 100, maxBytes: 34 })).toEqual([3]);
	});

	it("keeps order and loses nothing; no batch exceeds either limit", () => {
		const sizes = Array.from({ length: 2000 }, (_, i) => 1 + ((i * 7919) % 997));
		const limits = { maxItems: 50, maxBytes: 20_000 };
		const counts = planBatches(sizes, limits);
		expect(counts.reduce((a, b) => a + b, 0)).toBe(sizes.length);
		let start = 0;
		for (const count of counts) {
			const batch = sizes.slice(start, start + count);
			expect(batch.length).toBeLessThanOrEqual(limits.maxItems);
			expect(jsonArrayBytes(batch.length, batch.reduce((a, b) => a + b, 0))).toBeLessThanOrEqual(limits.maxBytes);
			start += count;
		}
	});

	it("refuses an item that cannot travel even alone", () => {
		expect(() => planBatches([5, 30], { maxItems: 10, maxBytes: 31 })).toThrow(RangeError);
		expect(planBatches([], { maxItems: 10, maxBytes: 31 })).toEqual([]);
	});
});
