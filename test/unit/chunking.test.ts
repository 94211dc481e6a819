import { describe, expect, it } from "vitest";
import {
	MESSAGE_BODY_BUDGET_BYTES,
	SEND_BATCH_MAX_BYTES,
	SEND_BATCH_MAX_MESSAGES,
	type TextPiece,
	groupForSendBatch,
	jsonStringBytes,
	splitText,
} from "../../src/edge/ingest/chunking";

/** What JSON.stringify makes of the text inside its quotes, in UTF-8 bytes: the reference jsonStringBytes must match. */
const asJson = (text: string) => new TextEncoder().encode(JSON.stringify(text)).byteLength - 2;

/** Splits, checking the invariants every split must keep, and returns the pieces. */
function split(text: string, budget: number): TextPiece[] {
	const pieces = splitText(text, budget);
	expect(pieces.map((piece) => piece.text).join("")).toBe(text);
	for (const piece of pieces) {
		expect(piece.bytes).toBe(asJson(piece.text));
		if (piece.text.length > 2) expect(piece.bytes).toBeLessThanOrEqual(budget);
		expect(piece.text.isWellFormed()).toBe(true);
	}
	return pieces;
}

describe("jsonStringBytes", () => {
	it.each([
		["ASCII", "plain text 123"],
		["quotes and backslashes", 'say "hi" \\ and \\"'],
		["the short escapes", "\b\t\n\f\r"],
		["other control characters", "\u0000\u0001\u001f\u007f"],
		["Latin-1, two bytes each", "Zürich, Genève, Ærø, ÿ"],
		["CJK, three bytes each", "日本語のテキスト"],
		["emoji, four bytes each", "🚀😀👍🏽"],
		["U+2028 and U+2029, which JSON.stringify leaves alone", "\u2028\u2029"],
		["lone surrogates, which well-formed JSON.stringify escapes", "a\ud800b\udc00c\ud83d"],
		["nothing", ""],
	])("counts %s as JSON.stringify writes them", (_, text) => {
		expect(jsonStringBytes(text)).toBe(asJson(text));
	});

	it("counts a quote twice and a control character six times", () => {
		expect(jsonStringBytes('"')).toBe(2);
		expect(jsonStringBytes("\u0001")).toBe(6);
		expect(jsonStringBytes("a")).toBe(1);
	});
});

describe("splitText", () => {
	it("returns text within the budget as one piece, with its size as JSON", () => {
		expect(splitText("hello", 5)).toEqual([{ text: "hello", bytes: 5 }]);
		expect(splitText("Zürich", 7)).toEqual([{ text: "Zürich", bytes: 7 }]);
		expect(splitText('a"b', 4)).toEqual([{ text: 'a"b', bytes: 4 }]);
		expect(splitText("", 10)).toEqual([{ text: "", bytes: 0 }]);
	});

	it("never cuts inside a surrogate pair, even with a budget below one code point", () => {
		expect(splitText("🚀🚀", 3).map((piece) => piece.text)).toEqual(["🚀", "🚀"]);
		expect(splitText("🚀🚀", 1).map((piece) => piece.text)).toEqual(["🚀", "🚀"]);
		expect(splitText('""', 1).map((piece) => piece.text)).toEqual(['"', '"']);
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

	it("counts the bytes JSON takes, not the characters or their bare UTF-8", () => {
		// "ü" is 2 bytes, "€" 3.
		expect(split("ü".repeat(10), 20)).toHaveLength(1);
		expect(split("ü".repeat(10), 19).map((piece) => piece.text.length)).toEqual([9, 1]);
		expect(split("€".repeat(10), 29).map((piece) => piece.bytes)).toEqual([27, 3]);
		// A quote is one byte of the body and two of the message.
		expect(split('"'.repeat(10), 10).map((piece) => piece.text.length)).toEqual([5, 5]);
		expect(split("\n".repeat(10), 19).map((piece) => piece.bytes)).toEqual([18, 2]);
	});

	it("moves a code point that would straddle the cut into the next piece", () => {
		// 9 ASCII bytes, then the 4-byte emoji, with a 10-byte budget.
		expect(split(`${"a".repeat(9)}🚀${"b".repeat(6)}`, 10).map((piece) => piece.text)).toEqual(["a".repeat(9), `🚀${"b".repeat(6)}`]);
		expect(split(`${"a".repeat(9)}"b`, 10).map((piece) => piece.text)).toEqual(["a".repeat(9), '"b']);
	});

	it("never splits a surrogate pair, wherever the cut would fall", () => {
		for (const character of ["é", "€", "🚀", '"']) {
			for (let offset = 0; offset < 8; offset++) {
				split(`${"a".repeat(offset)}${character}${"b".repeat(20)}${character}`, 8);
			}
		}
		const text = "🚀😀🎉".repeat(50);
		for (const budget of [4, 6, 10, 14, 22]) {
			expect(split(text, budget).every((piece) => piece.bytes > 0 && piece.bytes % 4 === 0)).toBe(true);
		}
	});

	it("fills each piece but the last to within one code point of the budget", () => {
		const pieces = split('aé€🚀"\n'.repeat(200), 101);
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
