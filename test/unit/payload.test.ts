import { describe, expect, it } from "vitest";
import { ApiError } from "../../src/model/errors";
import {
	MAX_DEPTH,
	MAX_ITEM_KEY_LENGTH,
	MAX_ITEMS,
	decodeUtf8,
	exceedsDepth,
	isReservedItemKey,
	parseDocument,
	parsePayload,
	resolveItemKey,
	validateItems,
} from "../../src/model/payload";

/** Runs `fn`, expecting it to throw a 400 INVALID_PAYLOAD; returns the error for further checks. */
function invalid(fn: () => unknown): ApiError {
	let thrown: unknown;
	try {
		fn();
	} catch (error) {
		thrown = error;
	}
	expect(thrown).toBeInstanceOf(ApiError);
	const error = thrown as ApiError;
	expect(error.status).toBe(400);
	expect(error.code).toBe("INVALID_PAYLOAD");
	return error;
}

const nested = (depth: number) => "[".repeat(depth) + "]".repeat(depth);

describe("parseDocument (json)", () => {
	it("parses an object and an array", () => {
		expect(parseDocument('{"a":1}', "json")).toEqual({ a: 1 });
		expect(parseDocument('[{"a":1},{"b":2}]', "json")).toEqual([{ a: 1 }, { b: 2 }]);
	});

	it("returns scalars as they are, leaving the shape check to validateItems", () => {
		expect(parseDocument("42", "json")).toBe(42);
		expect(parseDocument("null", "json")).toBeNull();
	});

	it("refuses malformed JSON with INVALID_PAYLOAD", () => {
		expect(invalid(() => parseDocument('{"a":', "json")).message).toMatch(/^Malformed JSON: /);
		invalid(() => parseDocument("", "json"));
		invalid(() => parseDocument("{'a':1}", "json"));
	});

	it("refuses a document nested deeper than MAX_DEPTH before parsing it", () => {
		expect(parseDocument(nested(MAX_DEPTH), "json")).toBeInstanceOf(Array);
		expect(invalid(() => parseDocument(nested(MAX_DEPTH + 1), "json")).message).toContain(`${MAX_DEPTH} levels`);
	});
});

describe("parseDocument (ndjson)", () => {
	it("parses one object per line", () => {
		expect(parseDocument('{"a":1}\n{"a":2}\n{"a":3}', "ndjson")).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }]);
	});

	it("ignores blank and whitespace-only lines, including a trailing newline", () => {
		expect(parseDocument('\n{"a":1}\n\n   \n\t\n{"a":2}\n', "ndjson")).toEqual([{ a: 1 }, { a: 2 }]);
	});

	it("accepts CRLF line endings", () => {
		expect(parseDocument('{"a":1}\r\n{"a":2}\r\n\r\n', "ndjson")).toEqual([{ a: 1 }, { a: 2 }]);
	});

	it("returns an empty list for a body of blank lines", () => {
		expect(parseDocument("\n\r\n  \n", "ndjson")).toEqual([]);
	});

	it("names the 1-based line of a malformed line, counting blank lines", () => {
		const error = invalid(() => parseDocument('{"a":1}\n\n{"a":\n{"a":3}', "ndjson"));
		expect(error.message).toMatch(/^Malformed JSON on line 3: /);
	});

	it("does not let one JSON document span several lines", () => {
		expect(invalid(() => parseDocument('{\n"a": 1\n}', "ndjson")).message).toMatch(/on line 1/);
	});

	it("applies the depth limit to ndjson too", () => {
		invalid(() => parseDocument(`{"a":1}\n{"x":${nested(MAX_DEPTH)}}`, "ndjson"));
		expect(parseDocument(`{"a":1}\n{"x":${nested(MAX_DEPTH - 1)}}`, "ndjson")).toHaveLength(2);
	});
});

describe("exceedsDepth", () => {
	it("accepts exactly MAX_DEPTH levels and refuses one more", () => {
		expect(exceedsDepth(nested(MAX_DEPTH))).toBe(false);
		expect(exceedsDepth(nested(MAX_DEPTH + 1))).toBe(true);
	});

	it("counts objects and arrays alike", () => {
		expect(exceedsDepth('{"a":[{"b":[1]}]}', 4)).toBe(false);
		expect(exceedsDepth('{"a":[{"b":[1]}]}', 3)).toBe(true);
	});

	it("measures nesting, not the number of brackets side by side", () => {
		const siblings = `[${Array.from({ length: 1000 }, () => "{}").join(",")}]`;
		expect(exceedsDepth(siblings, 2)).toBe(false);
		expect(exceedsDepth(siblings, 1)).toBe(true);
	});

	it("ignores brackets inside strings", () => {
		const text = JSON.stringify({ s: "[".repeat(200) + "{".repeat(200) });
		expect(exceedsDepth(text, 1)).toBe(false);
	});

	it("does not end a string at an escaped quote", () => {
		// Were \" taken as the end of the string, the brackets after it would count.
		const text = JSON.stringify({ s: `say \\" and \" then ${"[".repeat(100)}` });
		expect(text).toContain('\\"');
		expect(exceedsDepth(text, 1)).toBe(false);
	});

	it("ends a string after an escaped backslash", () => {
		// "\\" is a complete string: the brackets after it are real nesting.
		const text = `[${JSON.stringify("\\")}, ${nested(3)}]`;
		expect(exceedsDepth(text, 4)).toBe(false);
		expect(exceedsDepth(text, 3)).toBe(true);
	});

	it("has MAX_DEPTH as its default", () => {
		expect(exceedsDepth(nested(MAX_DEPTH))).toBe(exceedsDepth(nested(MAX_DEPTH), MAX_DEPTH));
		expect(exceedsDepth(nested(MAX_DEPTH + 1))).toBe(true);
	});
});

describe("decodeUtf8", () => {
	const bytes = (...values: number[]) => new Uint8Array(values);

	it("decodes valid UTF-8, including multi-byte characters", () => {
		expect(decodeUtf8(new TextEncoder().encode('{"name":"Zürich 🚀"}'))).toBe('{"name":"Zürich 🚀"}');
		expect(decodeUtf8(new Uint8Array(0))).toBe("");
	});

	it("strips a leading byte order mark", () => {
		const text = decodeUtf8(bytes(0xef, 0xbb, 0xbf, 0x7b, 0x7d));
		expect(text).toBe("{}");
		expect(JSON.parse(text)).toEqual({});
	});

	it("refuses invalid sequences instead of replacing them", () => {
		expect(invalid(() => decodeUtf8(bytes(0x7b, 0xff, 0x7d))).message).toBe("The body is not valid UTF-8.");
		invalid(() => decodeUtf8(bytes(0xc3))); // truncated two-byte sequence
		invalid(() => decodeUtf8(bytes(0xc0, 0xaf))); // overlong encoding of "/"
		invalid(() => decodeUtf8(bytes(0xed, 0xa0, 0x80))); // an encoded lone surrogate
		invalid(() => decodeUtf8(bytes(0xe9))); // Latin-1 "é"
	});
});

describe("resolveItemKey", () => {
	it("takes a non-empty string as it is", () => {
		expect(resolveItemKey("North")).toBe("North");
		expect(resolveItemKey(" ")).toBe(" ");
		expect(resolveItemKey("x".repeat(MAX_ITEM_KEY_LENGTH))).toBe("x".repeat(MAX_ITEM_KEY_LENGTH));
	});

	it("refuses an empty string and one over MAX_ITEM_KEY_LENGTH", () => {
		expect(resolveItemKey("")).toBeNull();
		expect(resolveItemKey("x".repeat(MAX_ITEM_KEY_LENGTH + 1))).toBeNull();
	});

	it("turns a finite number into its canonical string", () => {
		expect(resolveItemKey(42)).toBe("42");
		expect(resolveItemKey(0)).toBe("0");
		expect(resolveItemKey(-1.5)).toBe("-1.5");
		expect(resolveItemKey(1e21)).toBe("1e+21");
		// 1.0 in the JSON text is the number 1.
		expect(resolveItemKey(JSON.parse("1.0"))).toBe("1");
	});

	it("refuses NaN and the infinities", () => {
		expect(resolveItemKey(Number.NaN)).toBeNull();
		expect(resolveItemKey(Number.POSITIVE_INFINITY)).toBeNull();
		expect(resolveItemKey(Number.NEGATIVE_INFINITY)).toBeNull();
	});

	it("refuses booleans, null, undefined, objects and arrays", () => {
		for (const value of [true, false, null, undefined, {}, { id: 1 }, [], ["a"], 1n]) {
			expect(resolveItemKey(value), String(value)).toBeNull();
		}
	});
});

describe("validateItems", () => {
	it("makes one item of a single object", () => {
		expect(validateItems({ id: "a", n: 1 }, "id")).toEqual([{ key: "a", value: { id: "a", n: 1 } }]);
	});

	it("keeps the items of an array in order, with their resolved keys", () => {
		expect(validateItems([{ id: "b" }, { id: 7 }, { id: "a" }], "id")).toEqual([
			{ key: "b", value: { id: "b" } },
			{ key: "7", value: { id: 7 } },
			{ key: "a", value: { id: "a" } },
		]);
	});

	it("keeps the parsed objects themselves, not copies", () => {
		const item = { id: "a" };
		expect(validateItems([item], "id")[0]?.value).toBe(item);
	});

	it("makes every item keyless when itemKey is null, whatever fields it has", () => {
		expect(validateItems([{ id: "a" }, {}], null)).toEqual([
			{ key: null, value: { id: "a" } },
			{ key: null, value: {} },
		]);
	});

	it("refuses an empty array, except as a replace (a clear)", () => {
		const error = invalid(() => validateItems([], null));
		expect(error.details?.[0]?.message).toBe("The array must hold at least one object (an empty array only replaces: X-Ingest-Mode: replace).");
		expect(invalid(() => validateItems([], "id", "delete")).message).toContain("at least one object");
		expect(validateItems([], "id", "replace")).toEqual([]);
		expect(validateItems([], null, "replace")).toEqual([]);
	});

	it("refuses a delete without an item key in force", () => {
		expect(invalid(() => validateItems([{ id: "a" }], null, "delete")).message).toContain("X-Item-Key");
		expect(validateItems([{ id: "a", other: 1 }], "id", "delete")).toEqual([{ key: "a", value: { id: "a", other: 1 } }]);
	});

	it("accepts MAX_ITEMS items and refuses one more", () => {
		const items = Array.from({ length: MAX_ITEMS }, (_, i) => ({ i }));
		expect(validateItems(items, null)).toHaveLength(MAX_ITEMS);
		const error = invalid(() => validateItems([...items, { i: MAX_ITEMS }], null));
		expect(error.details?.[0]?.message).toBe("At most 10,000 items per request.");
	});

	it("refuses a body that is neither an object nor an array", () => {
		for (const document of [42, "text", null, true]) {
			const error = invalid(() => validateItems(document, null));
			expect(error.message).toBe("The body must be a JSON object or a non-empty array of JSON objects.");
		}
	});

	it("lists every item that is not an object, with its index", () => {
		const error = invalid(() => validateItems([{ ok: 1 }, 2, { ok: 3 }, null, [], "s"], null));
		expect(error.message).toBe("4 of 6 items are not JSON objects.");
		expect(error.details?.map((detail) => detail.index)).toEqual([1, 3, 4, 5]);
		expect(error.details?.[0]).toEqual({ index: 1, path: [1], message: "Each item must be a JSON object." });
	});

	it("lists every item whose key is missing or invalid, with index and path", () => {
		const document = [{ id: "ok" }, {}, { id: "" }, { id: 1 }, { id: null }, { id: true }, { id: { x: 1 } }, { other: 1 }];
		const error = invalid(() => validateItems(document, "id"));
		expect(error.message).toBe('6 of 8 items lack a valid item key "id".');
		expect(error.details?.map(({ index, path }) => ({ index, path }))).toEqual(
			[1, 2, 4, 5, 6, 7].map((index) => ({ index, path: [index, "id"] })),
		);
		expect(error.details?.[0]?.message).toContain('needs "id"');
	});

	it("lists at most 100 items lacking their key, the first ones, and counts them all", () => {
		const error = invalid(() => validateItems(Array.from({ length: MAX_ITEMS }, () => ({})), "id"));
		expect(error.details?.map((detail) => detail.index)).toEqual(Array.from({ length: 100 }, (_, i) => i));
		expect(error.details?.[99]?.path).toEqual([99, "id"]);
		expect(error.message).toBe('10,000 of 10,000 items lack a valid item key "id". The first 100 of 10,000 problems are listed.');
	});

	it("lists at most 100 items that are not objects, and counts them all", () => {
		const document = Array.from({ length: 5000 }, (_, i) => (i % 2 === 0 ? { ok: i } : i));
		const error = invalid(() => validateItems(document, null));
		expect(error.details?.map((detail) => detail.index)).toEqual(Array.from({ length: 100 }, (_, i) => 2 * i + 1));
		expect(error.message).toBe("2,500 of 5,000 items are not JSON objects. The first 100 of 2,500 problems are listed.");
	});

	it("reports a missing key on a single object as index 0", () => {
		const error = invalid(() => validateItems({ name: "x" }, "id"));
		expect(error.details).toEqual([expect.objectContaining({ index: 0, path: [0, "id"] })]);
	});

	it("reads a key named __proto__ from the item's own property", () => {
		const document = JSON.parse('[{"__proto__": "p1", "n": 1}, {"__proto__": 2}]');
		const items = validateItems(document, "__proto__");
		expect(items.map((item) => item.key)).toEqual(["p1", "2"]);
		expect(Object.hasOwn(items[0]?.value ?? {}, "__proto__")).toBe(true);
	});

	it("keeps an own __proto__ field of a keyless item as data, without touching the prototype", () => {
		const [item] = validateItems(JSON.parse('{"__proto__": {"polluted": true}}'), null);
		expect(Object.hasOwn(item?.value ?? {}, "__proto__")).toBe(true);
		expect(Object.getPrototypeOf(item?.value)).toBe(Object.prototype);
		expect((item?.value as { polluted?: unknown }).polluted).toBeUndefined();
	});

	it("does not take inherited properties as the item key", () => {
		const constructorError = invalid(() => validateItems({ id: 1 }, "constructor"));
		expect(constructorError.details).toEqual([expect.objectContaining({ index: 0, path: [0, "constructor"] })]);
		invalid(() => validateItems({}, "toString"));
		invalid(() => validateItems({}, "__proto__"));
	});

	it("accepts an own constructor field as the key", () => {
		expect(validateItems(JSON.parse('{"constructor": "c1"}'), "constructor")).toEqual([
			{ key: "c1", value: { constructor: "c1" } },
		]);
	});
});

describe("keys reserved for keyless items", () => {
	const requestId = "req_01jz0k3m4n5p6q7r8s9t0v1w2x";

	it("recognises exactly the keyless form <request_id>:<index>", () => {
		expect(requestId).toMatch(/^req_[0-9a-z]{26}$/);
		expect(isReservedItemKey(`${requestId}:0`)).toBe(true);
		expect(isReservedItemKey(`${requestId}:9999`)).toBe(true);
		for (const key of [
			requestId,
			`${requestId}:`,
			`${requestId}:-1`,
			`${requestId}:1a`,
			`${requestId}:0 `,
			` ${requestId}:0`,
			`${requestId.toUpperCase().replace("REQ_", "req_")}:0`,
			`req_${"a".repeat(25)}:0`,
			`req_${"a".repeat(27)}:0`,
			`xreq_${"a".repeat(26)}:0`,
			"req_:0",
			"42",
		]) {
			expect(isReservedItemKey(key), key).toBe(false);
		}
	});

	it("refuses a keyed item whose key has the keyless form, naming its index", () => {
		const error = invalid(() => validateItems([{ id: "fine" }, { id: `${requestId}:3` }, { id: `${requestId}:x` }], "id"));
		expect(error.message).toBe('1 of 3 items lack a valid item key "id".');
		expect(error.details).toEqual([
			{ index: 1, path: [1, "id"], message: 'Item 1 has "id" of the form <request_id>:<index>, which is reserved for keyless items.' },
		]);
	});

	it("counts reserved and missing keys together, in index order", () => {
		const error = invalid(() => validateItems([{ id: `${requestId}:0` }, {}, { id: "ok" }], "id"));
		expect(error.details?.map((detail) => detail.index)).toEqual([0, 1]);
		expect(error.message).toMatch(/^2 of 3 items/);
	});

	it("never refuses a number: its string form cannot take the reserved form", () => {
		expect(validateItems([{ id: 0 }, { id: 12 }], "id").map((item) => item.key)).toEqual(["0", "12"]);
	});

	it("leaves such a value alone in a keyless request or in another field", () => {
		expect(validateItems([{ id: `${requestId}:0` }], null)).toEqual([{ key: null, value: { id: `${requestId}:0` } }]);
		expect(validateItems([{ id: "a", ref: `${requestId}:0` }], "id")[0]?.key).toBe("a");
	});

	it("is refused again when the stream re-parses a queued payload", () => {
		invalid(() => parsePayload(JSON.stringify([{ id: `${requestId}:1` }]), "json", "id"));
		expect(parsePayload(JSON.stringify([{ id: "a" }]), "json", "id")).toHaveLength(1);
	});
});

describe("parsePayload", () => {
	it("parses and validates in one step", () => {
		expect(parsePayload('{"id":"a"}\n{"id":"b"}\n', "ndjson", "id").map((item) => item.key)).toEqual(["a", "b"]);
	});

	it("refuses an ndjson body with no lines as an empty list", () => {
		invalid(() => parsePayload("\n\n", "ndjson", null));
	});
});
