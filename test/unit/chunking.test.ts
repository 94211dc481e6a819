import { describe, expect, it } from "vitest";
import {
	MESSAGE_BODY_BUDGET_BYTES,
	SEND_BATCH_MAX_BYTES,
	SEND_BATCH_MAX_MESSAGES,
	type TextPiece,
	groupForSendBatch,
	splitText,
} from "../../src/ingest/chunking";

const utf8Length = (text: string) => new TextEncoder().encode(text).byteLength;

/** Splits, checking the invariants every split must keep, and returns the pieces. */
function split(text: string, budget: number): TextPiece[] {
	const pieces = splitText(text, budget);
	expect(pieces.map((piece) => piece.text).join("")).toBe(text);
	for (const piece of pieces) {
		expect(piece.bytes).toBe(utf8Length(piece.text));
		expect(piece.bytes).toBeLessThanOrEqual(budget);
		expect(piece.text).not.toContain("\uFFFD");
	}
	return pieces;
}

describe("splitText", () => {
	it("returns text within the budget as one piece, with its UTF-8 size", () => {
		expect(splitText("hello", 5)).toEqual([{ text: "hello", bytes: 5 }]);
		expect(splitText("Zürich", 7)).toEqual([{ text: "Zürich", bytes: 7 }]);
		expect(splitText("", 10)).toEqual([{ text: "", bytes: 0 }]);
	});

	it("never cuts inside a code point, even with a budget below 4 bytes", () => {
		const pieces = splitText("🚀🚀", 3);
		expect(pieces.map((piece) => piece.text)).toEqual(["🚀", "🚀"]);
	});

	it("uses the message body budget by default", () => {
		const full = "x".repeat(MESSAGE_BODY_BUDGET_BYTES);
		expect(splitText(full)).toEqual([{ text: full, bytes: MESSAGE_BODY_BUDGET_BYTES }]);
		const over = splitText(`${full}y`);
		expect(over.map((piece) => piece.bytes)).toEqual([MESSAGE_BODY_BUDGET_BYTES, 1]);
		expect(over[1]?.text).toBe("y");
	});

	it("cuts ASCII text into full budget-sized pieces that join back to the text", () => {
		const pieces = split("abcdefghij".repeat(10), 30);
		expect(pieces.map((piece) => piece.bytes)).toEqual([30, 30, 30, 10]);
	});

	it("counts UTF-8 bytes, not characters", () => {
		// "ü" is 2 bytes, "€" 3, so 10 of each is 20 and 30 bytes.
		expect(split("ü".repeat(10), 20)).toHaveLength(1);
		expect(split("ü".repeat(10), 19).map((piece) => piece.text.length)).toEqual([9, 1]);
		expect(split("€".repeat(10), 30)).toHaveLength(1);
		expect(split("€".repeat(10), 29).map((piece) => piece.bytes)).toEqual([27, 3]);
	});

	it("never cuts inside a multi-byte character", () => {
		for (const character of ["é", "€", "🚀"]) {
			for (let offset = 0; offset < 8; offset++) {
				const text = `${"a".repeat(offset)}${character}${"b".repeat(20)}${character}`;
				split(text, 8);
			}
		}
	});

	it("moves a character that would straddle the cut into the next piece", () => {
		// 9 ASCII bytes, then the 4-byte emoji, with a 10-byte budget.
		const pieces = split(`${"a".repeat(9)}🚀${"b".repeat(6)}`, 10);
		expect(pieces.map((piece) => piece.text)).toEqual(["a".repeat(9), `🚀${"b".repeat(6)}`]);
	});

	it("keeps every emoji whole in text made only of emoji", () => {
		const text = "🚀😀🎉".repeat(50);
		for (const budget of [4, 6, 10, 14, 22]) {
			const pieces = split(text, budget);
			expect(pieces.every((piece) => piece.bytes > 0 && piece.bytes % 4 === 0)).toBe(true);
		}
	});

	it("fills each piece but the last to within one character of the budget", () => {
		const text = "aé€🚀".repeat(200);
		const pieces = split(text, 101);
		for (const piece of pieces.slice(0, -1)) expect(piece.bytes).toBeGreaterThan(101 - 4);
	});
});

describe("groupForSendBatch", () => {
	/** Groups, checking that the groups cover each index once and in order, and returns them. */
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
		const sizes = Array.from({ length: 10 }, () => MESSAGE_BODY_BUDGET_BYTES + 1024);
		const groups = group(sizes);
		expect(groups.map((g) => g.length)).toEqual([2, 2, 2, 2, 2]);
		for (const g of groups) {
			expect(g.reduce((sum, index) => sum + (sizes[index] ?? 0), 0)).toBeLessThanOrEqual(SEND_BATCH_MAX_BYTES);
		}
	});

	it("puts a message over the byte limit in a group of its own", () => {
		expect(group([10, 500, 10, 10], 100, 100)).toEqual([[0], [1], [2, 3]]);
		expect(group([500], 100, 100)).toEqual([[0]]);
		expect(group([500, 500], 100, 100)).toEqual([[0], [1]]);
	});

	it("respects the count and byte limits together", () => {
		expect(group([1, 1, 1, 90, 5, 5, 5, 5], 3, 100)).toEqual([[0, 1, 2], [3, 4, 5], [6, 7]]);
	});
});
