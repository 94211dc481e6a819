import { describe, expect, it } from "vitest";
import { DRAFT_2020_12, suggestSchema } from "../../src/web/schema-suggest";

describe("suggestSchema", () => {
	it("names each field with its JSON type, required when every item has it, top level an object of draft 2020-12", () => {
		expect(
			suggestSchema([
				{ sku: "a", price: 10, in_stock: true },
				{ sku: "b", price: 12, colour: "red" },
			]),
		).toEqual({
			$schema: DRAFT_2020_12,
			type: "object",
			properties: { sku: { type: "string" }, price: { type: "integer" }, in_stock: { type: "boolean" }, colour: { type: "string" } },
			required: ["sku", "price"],
		});
	});

	it("merges the types seen across items: integer and number is number, null makes it nullable, others are listed", () => {
		const schema = suggestSchema([
			{ price: 1, note: null, code: 7, only_null: null },
			{ price: 2.5, note: "late", code: "x7", only_null: null },
			{ price: 3, note: "ok", code: 8, only_null: null },
		]);
		expect(schema.properties).toEqual({
			price: { type: "number" },
			note: { type: ["string", "null"] },
			code: { type: ["string", "integer"] },
			only_null: { type: "null" },
		});
		// A field whose value was null in some items is still present in all of them.
		expect(schema.required).toEqual(["price", "note", "code", "only_null"]);
	});

	it("describes nested objects recursively, each with its own required fields", () => {
		const schema = suggestSchema([
			{ dims: { w: 1, h: 2, unit: { name: "cm" } } },
			{ dims: { w: 3, unit: { name: "in", factor: 2.54 } } },
		]);
		expect(schema.properties).toEqual({
			dims: {
				type: "object",
				properties: {
					w: { type: "integer" },
					h: { type: "integer" },
					unit: { type: "object", properties: { name: { type: "string" }, factor: { type: "number" } }, required: ["name"] },
				},
				required: ["w", "unit"],
			},
		});
	});

	it("gives arrays the merged type of every element seen, and no items keyword when every array was empty", () => {
		const schema = suggestSchema([
			{ tags: ["a", "b"], sizes: [1, 2.5], rows: [{ id: 1 }, { id: 2, extra: true }], empty: [] },
			{ tags: [], sizes: [3], rows: [{ id: 3 }], empty: [] },
		]);
		expect(schema.properties).toEqual({
			tags: { type: "array", items: { type: "string" } },
			sizes: { type: "array", items: { type: "number" } },
			rows: {
				type: "array",
				items: { type: "object", properties: { id: { type: "integer" }, extra: { type: "boolean" } }, required: ["id"] },
			},
			empty: { type: "array" },
		});
	});

	it("leaves out required when no field is in every item, and proposes an open object for no items", () => {
		expect(suggestSchema([{ a: 1 }, { b: 2 }])).toEqual({
			$schema: DRAFT_2020_12,
			type: "object",
			properties: { a: { type: "integer" }, b: { type: "integer" } },
		});
		expect(suggestSchema([])).toEqual({ $schema: DRAFT_2020_12, type: "object", properties: {} });
	});
});
