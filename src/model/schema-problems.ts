import type { ItemProblem } from "./item-problems";

/** One unit of a JSON Schema validator's output (the "basic" format: JSON pointers into the instance and the schema). */
export interface SchemaOutputUnit {
	keyword: string;
	keywordLocation: string;
	instanceLocation: string;
	error: string;
}

// Keywords whose unit only says "a subschema had errors": the units under them name the real problem.
const WRAPPERS = new Set([
	"$ref",
	"$recursiveRef",
	"$dynamicRef",
	"properties",
	"patternProperties",
	"additionalProperties",
	"unevaluatedProperties",
	"items",
	"prefixItems",
	"additionalItems",
	"unevaluatedItems",
	"allOf",
	"if",
	"dependentSchemas",
	"propertyNames",
]);
// Keywords where one unit is the problem and the units under it are the alternatives that did not match: noise.
const ALTERNATIVES = new Set(["anyOf", "oneOf", "not"]);

/** The instance pointer `#/a/0/b~1c` as a path into `item`: array indexes as numbers, field names as strings. */
export function pointerPath(pointer: string, item: unknown): (string | number)[] {
	const path: (string | number)[] = [];
	if (pointer === "#" || pointer === "") return path;
	let node: unknown = item;
	for (const raw of pointer.replace(/^#\//, "").split("/")) {
		const segment = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
		const index = Array.isArray(node) && /^(0|[1-9]\d*)$/.test(segment) ? Number(segment) : null;
		path.push(index ?? segment);
		node = node !== null && typeof node === "object" ? (node as Record<string | number, unknown>)[index ?? segment] : undefined;
	}
	return path;
}

const quoted = (text: string, pattern: RegExp): string | null => pattern.exec(text)?.[1] ?? null;

/** A short message for one leaf unit, and the field it names when the problem is a missing one. */
function describe(unit: SchemaOutputUnit): { message: string; field?: string } {
	const { keyword, error } = unit;
	switch (keyword) {
		case "type":
			return { message: `must be ${(quoted(error, /Expected (".*")\.$/) ?? "another type").replaceAll('", "', " or ").replaceAll('"', "")}` };
		case "required": {
			const field = quoted(error, /required property "(.*)"\.$/) ?? "";
			return { message: `missing required field "${field}"`, field };
		}
		case "dependentRequired":
		case "dependencies": {
			const match = /^Instance has "(.*)" but does not have "(.*)"\.$/.exec(error);
			if (match) return { message: `missing field "${match[2]}", required when "${match[1]}" is present`, field: match[2] };
			return { message: error };
		}
		case "enum":
			return { message: `must be one of ${quoted(error, /any of (.*)\.$/) ?? "the listed values"}` };
		case "const":
			return { message: `must be ${quoted(error, /does not match (.*)\.$/) ?? "the given value"}` };
		case "format":
			return { message: `must be a valid ${quoted(error, /format "(.*)"/) ?? "value"}` };
		case "pattern":
			return { message: "must match the schema's pattern" };
		case "false":
			return { message: "is not allowed here" };
		case "anyOf":
			return { message: "must match at least one of the schemas in anyOf" };
		case "oneOf":
			return { message: "must match exactly one of the schemas in oneOf" };
		case "not":
			return { message: "must not match the schema in not" };
		default:
			// The validator's own words for the rest (ranges, lengths, counts): "5 is less than 10.", "String is too short (1 < 3)."
			return { message: error.replace(/\.$/, "") };
	}
}

/**
 * Maps a validator's output for the item at `index` to the API's problems: the
 * wrappers' "a subschema had errors" dropped, the branches of a failed anyOf/oneOf/not
 * folded into that one problem, a missing field's name at the end of its path.
 */
export function schemaProblems(index: number, item: unknown, units: readonly SchemaOutputUnit[]): ItemProblem[] {
	const folded = units.filter((unit) => ALTERNATIVES.has(unit.keyword)).map((unit) => `${unit.keywordLocation}/`);
	const problems: ItemProblem[] = [];
	const seen = new Set<string>();
	for (const unit of units) {
		if (WRAPPERS.has(unit.keyword) || folded.some((prefix) => unit.keywordLocation.startsWith(prefix))) continue;
		const { message, field } = describe(unit);
		const within = pointerPath(unit.instanceLocation, item);
		if (field !== undefined) within.push(field);
		const id = JSON.stringify([within, message]);
		if (seen.has(id)) continue;
		seen.add(id);
		problems.push({ index, path: [index, ...within], message });
	}
	// A validator that fails without a leaf unit still fails the item.
	if (problems.length === 0 && units.length > 0) problems.push({ index, path: [index], message: "does not match the stream's schema" });
	return problems;
}
