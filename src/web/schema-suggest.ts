// A JSON Schema (draft 2020-12) inferred from example items: what "Suggest from current items" proposes.
// Pure, so the rules are unit-tested in Node; the result is a starting point an admin edits before saving.

export const DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema";

/** A JSON Schema, as plain JSON. */
export type JsonSchema = { [keyword: string]: unknown };

type JsonType = "null" | "boolean" | "integer" | "number" | "string" | "array" | "object";
// The order types are listed in when a value was seen with several.
const TYPE_ORDER: JsonType[] = ["object", "array", "string", "number", "integer", "boolean", "null"];

/** Everything seen at one place of the items: its types, an object's fields, an array's elements. */
interface Shape {
	types: Set<JsonType>;
	/** How many objects were seen here, and in how many of them each field was present. */
	objects: number;
	fields: Map<string, { present: number; shape: Shape }>;
	/** Every element of every array seen here, merged; null when no element was seen. */
	elements: Shape | null;
}

const emptyShape = (): Shape => ({ types: new Set(), objects: 0, fields: new Map(), elements: null });

function typeOf(value: unknown): JsonType {
	if (value === null) return "null";
	if (Array.isArray(value)) return "array";
	if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
	if (typeof value === "boolean" || typeof value === "string") return typeof value as "boolean" | "string";
	// Anything else (undefined, functions) cannot come from JSON; objects are objects.
	return "object";
}

function add(shape: Shape, value: unknown): void {
	const type = typeOf(value);
	shape.types.add(type);
	if (type === "array") {
		for (const element of value as unknown[]) {
			shape.elements ??= emptyShape();
			add(shape.elements, element);
		}
	} else if (type === "object") {
		shape.objects++;
		for (const [name, field] of Object.entries(value as Record<string, unknown>)) {
			let seen = shape.fields.get(name);
			if (!seen) {
				seen = { present: 0, shape: emptyShape() };
				shape.fields.set(name, seen);
			}
			seen.present++;
			add(seen.shape, field);
		}
	}
}

/** The `type` keyword: an integer also seen as a fraction is a number; null next to other types makes it nullable. */
function typeKeyword(types: Set<JsonType>): string | string[] {
	const listed = TYPE_ORDER.filter((type) => types.has(type) && !(type === "integer" && types.has("number")));
	return listed.length === 1 ? (listed[0] as string) : listed;
}

function schemaOf(shape: Shape): JsonSchema {
	const schema: JsonSchema = {};
	if (shape.types.size > 0) schema.type = typeKeyword(shape.types);
	if (shape.types.has("object")) Object.assign(schema, objectKeywords(shape));
	if (shape.types.has("array") && shape.elements) schema.items = schemaOf(shape.elements);
	return schema;
}

/** `properties` in the order fields were first seen, and `required` for those every object here had. */
function objectKeywords(shape: Shape): JsonSchema {
	const properties: Record<string, JsonSchema> = {};
	const required: string[] = [];
	for (const [name, field] of shape.fields) {
		properties[name] = schemaOf(field.shape);
		if (field.present === shape.objects) required.push(name);
	}
	return required.length > 0 ? { properties, required } : { properties };
}

/**
 * A schema for one item that every given item matches: each field with the JSON types
 * seen in it (nested objects and array elements likewise), required when every item had it.
 */
export function suggestSchema(items: readonly Record<string, unknown>[]): JsonSchema {
	const shape = emptyShape();
	for (const item of items) add(shape, item);
	return { $schema: DRAFT_2020_12, type: "object", ...objectKeywords(shape) };
}
