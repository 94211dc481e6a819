import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../src/model/errors";
import { MAX_DEPTH, MAX_ITEM_KEY_LENGTH, type PayloadFormat, decodeUtf8, parseDocument, parsePayload, validateItems } from "../../src/model/payload";

const RUNS = { numRuns: 300 };
const formats = fc.constantFrom<PayloadFormat>("json", "ndjson");
const itemKeys = fc.constantFrom<string | null>(null, "id", "__proto__", "constructor", "toString");

/** Either items, or a 400 INVALID_PAYLOAD: the only two ways the validator may answer. */
function outcome(run: () => unknown): "items" | "invalid" {
	try {
		run();
		return "items";
	} catch (error) {
		expect(error).toBeInstanceOf(ApiError);
		expect((error as ApiError).status).toBe(400);
		expect((error as ApiError).code).toBe("INVALID_PAYLOAD");
		return "invalid";
	}
}

// JSON objects whose keys include the ones that trip naive validators.
const hostileKey = fc.oneof(fc.string(), fc.constantFrom("__proto__", "constructor", "prototype", "toString", "id", ""));
const jsonObject = fc.dictionary(hostileKey, fc.jsonValue({ maxDepth: 4 }), { maxKeys: 6 });

/** A JSON text with a random edit: a character dropped, doubled or swapped for another. */
const mangled = fc
	.tuple(fc.json({ maxDepth: 5 }), fc.nat(), fc.constantFrom("drop", "double", "swap"), fc.string({ unit: "binary", minLength: 1, maxLength: 1 }))
	.map(([text, at, edit, ch]) => {
		const i = text.length === 0 ? 0 : at % text.length;
		if (edit === "drop") return text.slice(0, i) + text.slice(i + 1);
		if (edit === "double") return text.slice(0, i) + text[i] + text.slice(i);
		return text.slice(0, i) + ch + text.slice(i + 1);
	});

describe("validator fuzz (fast-check)", () => {
	it("answers any text with items or a 400, never another error", () => {
		fc.assert(
			fc.property(fc.oneof(fc.string({ unit: "binary" }), fc.json(), mangled), formats, itemKeys, (text, format, itemKey) => {
				outcome(() => parsePayload(text, format, itemKey));
			}),
			RUNS,
		);
	});

	it("answers any bytes with text or a 400 (invalid UTF-8 is refused, never replaced)", () => {
		fc.assert(
			fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
				if (outcome(() => decodeUtf8(bytes)) === "items") {
					expect(new TextEncoder().encode(decodeUtf8(bytes))).toEqual(bytes.slice(bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0));
				}
			}),
			RUNS,
		);
	});

	it("keeps every object of a valid keyless body as parsed, in order, without touching Object.prototype", () => {
		fc.assert(
			fc.property(fc.array(jsonObject, { minLength: 1, maxLength: 20 }), formats, (objects, format) => {
				const text = format === "json" ? JSON.stringify(objects) : objects.map((o) => JSON.stringify(o)).join("\n");
				const items = parsePayload(text, format, null);
				expect(items.map((item) => item.key)).toEqual(objects.map(() => null));
				expect(items.map((item) => JSON.stringify(item.value))).toEqual(objects.map((o) => JSON.stringify(o)));
				expect(({} as Record<string, unknown>).polluted).toBeUndefined();
				expect(Object.getPrototypeOf({})).toBe(Object.prototype);
			}),
			RUNS,
		);
	});

	it("with an item key, accepts exactly the items that carry a usable key and names every other index", () => {
		const keyValue = fc.oneof(
			fc.string({ maxLength: MAX_ITEM_KEY_LENGTH + 2 }),
			fc.double(),
			fc.integer(),
			fc.boolean(),
			fc.constant(null),
			fc.constant({}),
		);
		const item = fc.record({ id: fc.option(keyValue, { nil: undefined }), v: fc.integer() }, { requiredKeys: ["v"] });
		fc.assert(
			fc.property(fc.array(item, { minLength: 1, maxLength: 30 }), (objects) => {
				const usable = (value: unknown) =>
					(typeof value === "string" && value.length > 0 && value.length <= MAX_ITEM_KEY_LENGTH) ||
					(typeof value === "number" && Number.isFinite(value));
				// JSON turns non-finite numbers into null: judge what the validator will actually see.
				const parsed = JSON.parse(JSON.stringify(objects)) as { id?: unknown }[];
				const bad = parsed.flatMap((object, index) => (usable(object.id) ? [] : [index]));
				try {
					const items = validateItems(parsed, "id");
					expect(bad).toEqual([]);
					expect(items.map((entry) => entry.key)).toEqual(parsed.map((object) => String(object.id)));
				} catch (error) {
					expect(error).toBeInstanceOf(ApiError);
					expect((error as ApiError).details?.map((detail) => detail.index)).toEqual(bad);
				}
			}),
			RUNS,
		);
	});

	it("refuses nesting past the depth limit and accepts it up to the limit, strings notwithstanding", () => {
		fc.assert(
			fc.property(fc.integer({ min: 1, max: MAX_DEPTH + 20 }), fc.string(), (depth, text) => {
				// An object at depth 1 whose value nests arrays: the object's own brace counts as one level.
				const body = `{"a":${"[".repeat(depth - 1)}${JSON.stringify(text)}${"]".repeat(depth - 1)}}`;
				expect(outcome(() => parseDocument(body, "json"))).toBe(depth <= MAX_DEPTH ? "items" : "invalid");
			}),
			RUNS,
		);
	});
});
