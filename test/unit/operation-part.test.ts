import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { OperationPart, parseOperationPart } from "../../src/model/operation";

const valid = {
	v: 1,
	request_id: `req_${"0".repeat(26)}`,
	connector_id: "con_1",
	stream: "sales",
	received_at: 1_800_000_000_000,
	items_received: 2,
	mode: "upsert",
	idempotency_key: null,
	body_hash: null,
	item_key: "id",
	format: "json",
	part: 0,
	parts: 1,
	body: "[{},{}]",
};

// For each field, values either side of the schema's rules.
const choices: Record<string, unknown[]> = {
	v: [1, 2, "1", undefined],
	request_id: [valid.request_id, `req_${"a".repeat(25)}`, `req_${"A".repeat(26)}`, 7, undefined],
	connector_id: ["c", "x".repeat(64), "x".repeat(65), "", null],
	stream: ["sales", "a_b-c", "-x", "Sales", "x".repeat(64), "x".repeat(65), 1],
	received_at: [0, 1.5, -1, Number.MAX_SAFE_INTEGER, 2 ** 53, "1", Number.NaN, Number.POSITIVE_INFINITY],
	items_received: [0, 10_000, -1, 0.5, null],
	mode: [undefined, "upsert", "delete", "replace", "merge", null],
	idempotency_key: [null, "k", "k".repeat(255), "k".repeat(256), "", undefined],
	body_hash: [null, "a".repeat(64), "A".repeat(64), "a".repeat(63), undefined],
	item_key: [null, "id", "i".repeat(128), "i".repeat(129), "", undefined],
	format: ["json", "ndjson", "csv", undefined],
	part: [0, 1, 999, -1, 0.5],
	parts: [1, 2, 1000, 1001, 0],
	body: ["", "[{}]", 3, undefined],
};

describe("parseOperationPart", () => {
	it("accepts and returns exactly what OperationPart.safeParse does", () => {
		// Mostly the valid value, so that many messages pass and one or two fields are off.
		const field = (name: string) =>
			fc.oneof({ arbitrary: fc.constant((valid as Record<string, unknown>)[name]), weight: 6 }, { arbitrary: fc.constantFrom(...(choices[name] as unknown[])), weight: 1 });
		const message = fc.record(Object.fromEntries(Object.keys(choices).map((name) => [name, field(name)])) as Record<string, fc.Arbitrary<unknown>>);
		fc.assert(
			fc.property(message, fc.boolean(), (fields, extra) => {
				const input: Record<string, unknown> = { ...fields, ...(extra ? { unknown_field: 1 } : {}) };
				for (const [name, value] of Object.entries(input)) if (value === undefined) delete input[name];
				const fast = parseOperationPart(input);
				const slow = OperationPart.safeParse(input);
				expect(fast.success).toBe(slow.success);
				if (fast.success && slow.success) expect(fast.data).toStrictEqual(slow.data);
			}),
			{ numRuns: 5000 },
		);
	});

	it("refuses what is not an object, like the schema", () => {
		for (const input of [null, [], "x", 1, [valid]]) expect(parseOperationPart(input).success).toBe(false);
		expect(parseOperationPart(valid)).toStrictEqual(OperationPart.safeParse(valid));
	});
});
