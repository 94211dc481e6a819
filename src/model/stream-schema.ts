import type { ErrorDetail } from "./errors";

/** The only `$schema` a stream schema may name: the contract's draft. */
export const DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema";
/** A stream schema's JSON may be at most this many UTF-8 bytes (64 KB). */
export const MAX_SCHEMA_BYTES = 65_536;

type Path = (string | number)[];
type Problem = { path: Path; message: string };

// Where JSON Schema (2020-12) holds subschemas: one, a list of them, or a map of them by name.
const ONE = ["additionalProperties", "unevaluatedProperties", "items", "contains", "propertyNames", "not", "if", "then", "else", "unevaluatedItems"];
const LIST = ["allOf", "anyOf", "oneOf", "prefixItems"];
const MAP = ["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"];
const REFS = ["$ref", "$dynamicRef", "$recursiveRef"];
const NUMBERS = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"];
const COUNTS = ["minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties", "minContains", "maxContains"];
const TYPES = new Set(["object", "array", "string", "number", "integer", "boolean", "null"]);

const isObject = (value: unknown): value is Record<string, unknown> =>
	typeof value === "object" && value !== null && !Array.isArray(value);

function compiles(pattern: string): boolean {
	try {
		// The validator runs patterns as Unicode regular expressions.
		new RegExp(pattern, "u");
		return true;
	} catch {
		return false;
	}
}

/** The shape problems of one subschema's own keywords (what the validator would misread or throw on). */
function keywordProblems(schema: Record<string, unknown>, at: Path, out: Problem[]): void {
	const type = schema.type;
	if (type !== undefined) {
		const names = Array.isArray(type) ? type : [type];
		if (names.length === 0 || !names.every((name) => typeof name === "string" && TYPES.has(name))) {
			out.push({ path: [...at, "type"], message: `type must be one of ${[...TYPES].join(", ")}, or a list of them.` });
		}
	}
	if (schema.required !== undefined && !(Array.isArray(schema.required) && schema.required.every((name) => typeof name === "string"))) {
		out.push({ path: [...at, "required"], message: "required must be a list of field names." });
	}
	if (schema.enum !== undefined && !Array.isArray(schema.enum)) out.push({ path: [...at, "enum"], message: "enum must be a list of values." });
	for (const name of NUMBERS) {
		if (schema[name] !== undefined && typeof schema[name] !== "number") out.push({ path: [...at, name], message: `${name} must be a number.` });
	}
	for (const name of COUNTS) {
		const value = schema[name];
		if (value !== undefined && !(typeof value === "number" && Number.isInteger(value) && value >= 0)) {
			out.push({ path: [...at, name], message: `${name} must be a non-negative integer.` });
		}
	}
	if (schema.pattern !== undefined && (typeof schema.pattern !== "string" || !compiles(schema.pattern))) {
		out.push({ path: [...at, "pattern"], message: "pattern must be a valid regular expression." });
	}
	if (isObject(schema.patternProperties)) {
		for (const pattern of Object.keys(schema.patternProperties)) {
			if (!compiles(pattern)) out.push({ path: [...at, "patternProperties", pattern], message: "This key must be a valid regular expression." });
		}
	}
	if (schema.dependentRequired !== undefined) {
		const ok = isObject(schema.dependentRequired) && Object.values(schema.dependentRequired).every((list) => Array.isArray(list) && list.every((name) => typeof name === "string"));
		if (!ok) out.push({ path: [...at, "dependentRequired"], message: "dependentRequired must map field names to lists of field names." });
	}
}

/** Walks every subschema: a remote reference anywhere is refused, each subschema's keywords are checked. */
function walk(schema: unknown, at: Path, out: Problem[]): void {
	if (typeof schema === "boolean") return;
	if (!isObject(schema)) {
		out.push({ path: at, message: "A schema must be an object or a boolean." });
		return;
	}
	for (const name of REFS) {
		const ref = schema[name];
		if (ref === undefined) continue;
		if (typeof ref !== "string") out.push({ path: [...at, name], message: `${name} must be a string.` });
		// The validator would ignore it silently: refused, so no schema seems to check what it does not.
		else if (name === "$dynamicRef") out.push({ path: [...at, name], message: "$dynamicRef is not supported: use $ref." });
		// Only references into this document: a stream's check must never depend on, or fetch, another one.
		else if (!ref.startsWith("#")) out.push({ path: [...at, name], message: `Remote ${name} "${ref}" is not allowed: only references within the schema (starting with #).` });
	}
	keywordProblems(schema, at, out);
	for (const name of ONE) if (schema[name] !== undefined) walk(schema[name], [...at, name], out);
	for (const name of LIST) {
		const list = schema[name];
		if (list === undefined) continue;
		if (!Array.isArray(list)) out.push({ path: [...at, name], message: `${name} must be a list of schemas.` });
		else list.forEach((sub, index) => walk(sub, [...at, name, index], out));
	}
	for (const name of MAP) {
		const map = schema[name];
		if (map === undefined) continue;
		if (!isObject(map)) out.push({ path: [...at, name], message: `${name} must map names to schemas.` });
		else for (const [key, sub] of Object.entries(map)) walk(sub, [...at, name, key], out);
	}
}

/**
 * Why a stream schema is refused, as error details under `schema` (empty when it is fine
 * by the rules that need no validator): its size, its draft, its top-level type, and
 * every subschema's references and keyword shapes. Pure, so the dashboard can run it too.
 */
export function streamSchemaProblems(schema: Record<string, unknown>): ErrorDetail[] {
	const bytes = new TextEncoder().encode(JSON.stringify(schema)).length;
	if (bytes > MAX_SCHEMA_BYTES) {
		return [{ path: ["schema"], message: `The schema is ${bytes.toLocaleString("en-US")} bytes of JSON; at most ${MAX_SCHEMA_BYTES.toLocaleString("en-US")} are allowed.` }];
	}
	const out: Problem[] = [];
	if (schema.$schema !== undefined && schema.$schema !== DRAFT_2020_12) {
		out.push({ path: ["schema", "$schema"], message: `Only JSON Schema draft 2020-12 is supported: $schema must be "${DRAFT_2020_12}" or left out.` });
	}
	walk(schema, ["schema"], out);
	// One problem for the top-level type, whichever rule finds it.
	if (schema.type !== "object" && !out.some((problem) => problem.path.length === 2 && problem.path[1] === "type")) {
		out.push({ path: ["schema", "type"], message: 'A stream schema describes one item: its top level must be "type": "object".' });
	}
	return out;
}
