import { describe, expect, it } from "vitest";
import { WorkBudget, jsonChunks } from "../../src/stream/work-budget";

describe("WorkBudget", () => {
	it("takes work up to its limits, and any work when empty so that each transaction makes progress", () => {
		const budget = new WorkBudget({ items: 10, bytes: 100 });
		expect(budget.fits(50, 5000)).toBe(true);
		budget.take(6, 60);
		expect(budget.fits(4, 40)).toBe(true);
		expect(budget.fits(5, 10)).toBe(false);
		expect(budget.fits(1, 41)).toBe(false);
	});
});

describe("jsonChunks", () => {
	it("splits rows into JSON arrays of at most the given size, in order, none lost", () => {
		const rows = Array.from({ length: 1000 }, (_, i) => [i, `key-${i}`, i % 2]);
		const chunks = jsonChunks(rows, 1000);
		expect(chunks.length).toBeGreaterThan(10);
		for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(1000);
		expect(chunks.flatMap((chunk) => JSON.parse(chunk) as unknown[])).toEqual(rows);
	});

	it("sends a row bigger than the bound alone, and nothing for no rows", () => {
		const big = "x".repeat(50);
		expect(jsonChunks([[1], [big], [2]], 20)).toEqual(["[[1]]", `[["${big}"]]`, "[[2]]"]);
		expect(jsonChunks([], 20)).toEqual([]);
	});
});
