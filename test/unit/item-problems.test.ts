import { describe, expect, it } from "vitest";
import { type ItemProblem, MAX_LISTED_PROBLEMS, boundProblems, count, itemProblemsError } from "../../src/model/item-problems";

const problem = (index: number, field = "id", message = `bad ${index}`): ItemProblem => ({ index, path: [index, field], message });
const many = (n: number) => Array.from({ length: n }, (_, index) => problem(index));

describe("boundProblems", () => {
	it("keeps a short list whole and counts its items", () => {
		const problems = [problem(1), problem(4)];
		expect(boundProblems(problems)).toEqual({ listed: problems, failedItems: 2 });
		expect(boundProblems([])).toEqual({ listed: [], failedItems: 0 });
	});

	it("lists at most 100 problems, the first ones, and still counts every failed item", () => {
		const { listed, failedItems } = boundProblems(many(10_000));
		expect(MAX_LISTED_PROBLEMS).toBe(100);
		expect(listed.map((p) => p.index)).toEqual(Array.from({ length: 100 }, (_, i) => i));
		expect(failedItems).toBe(10_000);
	});

	it("lists exactly 100 of 101 and all of 100", () => {
		expect(boundProblems(many(100)).listed).toHaveLength(100);
		expect(boundProblems(many(101)).listed).toHaveLength(100);
	});

	it("puts problems in index order whatever order they were found in", () => {
		const problems = [problem(7), problem(2), problem(5), problem(0)];
		expect(boundProblems(problems, 3).listed.map((p) => p.index)).toEqual([0, 2, 5]);
	});

	it("keeps one item's several problems in the order found, and counts the item once", () => {
		const problems = [problem(3, "b"), problem(1, "z"), problem(3, "a"), problem(1, "y")];
		const { listed, failedItems } = boundProblems(problems);
		expect(listed.map((p) => p.path)).toEqual([
			[1, "z"],
			[1, "y"],
			[3, "b"],
			[3, "a"],
		]);
		expect(failedItems).toBe(2);
	});

	it("does not reorder the list it was given", () => {
		const problems = [problem(2), problem(1)];
		boundProblems(problems);
		expect(problems.map((p) => p.index)).toEqual([2, 1]);
	});

	it("takes a nested schema path as it is", () => {
		const nested: ItemProblem = { index: 9, path: [9, "address", "lines", 0], message: "must be a string" };
		expect(boundProblems([nested]).listed).toEqual([nested]);
	});
});

describe("itemProblemsError", () => {
	it("is a 400 INVALID_PAYLOAD whose message counts the failed items", () => {
		const error = itemProblemsError([problem(0), problem(2)], (failed) => `${failed} of 3 items are bad.`);
		expect(error.status).toBe(400);
		expect(error.code).toBe("INVALID_PAYLOAD");
		expect(error.message).toBe("2 of 3 items are bad.");
		expect(error.details).toEqual([problem(0), problem(2)]);
	});

	it("says when the list is cut, with counts printed in full", () => {
		const error = itemProblemsError(many(10_000), (failed) => `${failed} items are bad.`);
		expect(error.message).toBe("10,000 items are bad. The first 100 of 10,000 problems are listed.");
		expect(error.details).toHaveLength(100);
	});

	it("counts items, not problems, when items have several problems", () => {
		const problems = many(150).flatMap((p) => [p, { ...p, path: [p.index, "other"] as ItemProblem["path"] }]);
		const error = itemProblemsError(problems, (failed) => `${failed} items are bad.`);
		expect(error.message).toBe("150 items are bad. The first 100 of 300 problems are listed.");
		expect(error.details?.map((d) => d.index)).toEqual(Array.from({ length: 50 }, (_, i) => [i, i]).flat());
	});
});

describe("count", () => {
	it("groups thousands", () => {
		expect(count(7)).toBe("7");
		expect(count(10_000)).toBe("10,000");
	});
});
