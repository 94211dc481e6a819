import { describe, expect, it } from "vitest";
import {
	MESSAGE_BODY_BUDGET_BYTES,
	SEND_BATCH_MAX_BYTES,
	SEND_BATCH_MAX_MESSAGES,
	groupForSendBatch,
	serialisedBytes,
	splitText,
} from "../../src/ingest/chunking";

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/** Checks the invariants every split must keep, and returns the pieces. */
function split(text: string, budget: number): string[] {
	const pieces = splitText(text, budget);
	expect(pieces.join("")).toBe(text);
	for (const piece of pieces) {
		expect(serialisedBytes(piece)).toBeLessThanOrEqual(budget);
		expect(isHighSurrogate(piece.charCodeAt(piece.length - 1))).toBe(false);
		expect(isLowSurrogate(piece.charCodeAt(0))).toBe(false);
	}
	return pieces;
}

describe("serialisedBytes", () => {
	it("counts one byte per character for Latin-1 text", () => {
		expect(serialisedBytes("")).toBe(0);
		expect(serialisedBytes("abc")).toBe(3);
		expect(serialisedBytes("Zürich ÿ")).toBe(8);
	});

	it("counts two bytes per UTF-16 unit as soon as one character is beyond Latin-1", () => {
		expect(serialisedBytes("abc€")).toBe(8);
		expect(serialisedBytes("a🚀")).toBe(6); // the emoji is two UTF-16 units
	});
});

describe("splitText", () => {
	it("returns text within the budget as one piece", () => {
		expect(splitText("hello", 5)).toEqual(["hello"]);
		expect(splitText("", 10)).toEqual([""]);
		const full = "x".repeat(MESSAGE_BODY_BUDGET_BYTES);
		expect(splitText(full)).toEqual([full]);
	});

	it("uses the message body budget by default", () => {
		const pieces = splitText("x".repeat(MESSAGE_BODY_BUDGET_BYTES + 1));
		expect(pieces.map((piece) => piece.length)).toEqual([MESSAGE_BODY_BUDGET_BYTES, 1]);
	});

	it("cuts Latin-1 text into budget-sized pieces that join back to the text", () => {
		const text = "abcdefghij".repeat(10) + "ü";
		const pieces = split(text, 30);
		expect(pieces.map((piece) => piece.length)).toEqual([30, 30, 30, 11]);
	});

	it("gives text beyond Latin-1 half as many characters per piece", () => {
		const text = "€".repeat(100);
		const pieces = split(text, 30);
		expect(pieces.map((piece) => piece.length)).toEqual([15, 15, 15, 15, 15, 15, 10]);
	});

	it("halves the budget for the whole text when one character is beyond Latin-1", () => {
		const text = `${"a".repeat(59)}€`;
		expect(split(text, 30).map((piece) => piece.length)).toEqual([15, 15, 15, 15]);
	});

	it("never cuts between the two halves of a surrogate pair", () => {
		// With 10 characters per piece, the 10th unit is the high half of the emoji.
		const text = `${"a".repeat(9)}🚀${"b".repeat(20)}`;
		const pieces = split(text, 20);
		expect(pieces[0]).toBe("a".repeat(9));
		expect(pieces[1]?.startsWith("🚀")).toBe(true);
	});

	it("keeps every emoji whole in text made of nothing but emoji", () => {
		const text = "🚀😀🎉".repeat(50);
		for (const budget of [4, 6, 10, 14, 22]) {
			const pieces = split(text, budget);
			expect(pieces.length).toBeGreaterThan(1);
			expect(pieces.every((piece) => piece.length > 0)).toBe(true);
		}
	});

	it("splits at every possible alignment of an emoji without breaking it", () => {
		for (let offset = 0; offset < 12; offset++) {
			split(`${"a".repeat(offset)}🚀${"b".repeat(30)}🚀`, 20);
		}
	});
});

describe("groupForSendBatch", () => {
	/** Checks that the groups cover each index once, in order, and returns them. */
	function group(sizes: number[], maxMessages?: number, maxBytes?: number): number[][] {
		const groups = groupForSendBatch(sizes, maxMessages, maxBytes);
		expect(groups.flat()).toEqual(sizes.map((_, index) => index));
		expect(groups.every((g) => g.length > 0)).toBe(true);
		return groups;
	}

	it("returns no groups for no messages", () => {
		expect(groupForSendBatch([])).toEqual([]);
	});

	it("keeps small batches in one group", () => {
		expect(group([10, 20, 30])).toEqual([[0, 1, 2]]);
	});

	it("puts at most SEND_BATCH_MAX_MESSAGES messages in a group", () => {
		const groups = group(Array.from({ length: 250 }, () => 1));
		expect(groups.map((g) => g.length)).toEqual([SEND_BATCH_MAX_MESSAGES, SEND_BATCH_MAX_MESSAGES, 50]);
	});

	it("keeps each group within the byte limit, filling it exactly when sizes allow", () => {
		expect(group([40, 60, 50, 50, 1], 100, 100)).toEqual([[0, 1], [2, 3], [4]]);
		const sizes = Array.from({ length: 10 }, () => 100 * 1024 + 1024);
		for (const g of group(sizes)) {
			expect(g.reduce((sum, index) => sum + (sizes[index] ?? 0), 0)).toBeLessThanOrEqual(SEND_BATCH_MAX_BYTES);
		}
	});

	it("puts a message over the byte limit in a group of its own", () => {
		expect(group([10, 500, 10, 10], 100, 100)).toEqual([[0], [1], [2, 3]]);
		expect(group([500], 100, 100)).toEqual([[0]]);
		expect(group([500, 500], 100, 100)).toEqual([[0], [1]]);
	});

	it("respects the count and byte limits together", () => {
		const groups = group([1, 1, 1, 90, 5, 5, 5, 5], 3, 100);
		expect(groups).toEqual([[0, 1, 2], [3, 4, 5], [6, 7]]);
	});
});
