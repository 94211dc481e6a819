// Reading the problems the API and the browser find in a schema typed into the editor.
import type { ErrorDetail } from "./api";

/** One problem of the schema, with where in it (a JSON Pointer, "" for the whole schema). */
export interface SchemaProblem {
	pointer: string;
	message: string;
}

/** A path as a JSON Pointer (RFC 6901), the way JSON Schema tools name a place in a schema. */
export function toPointer(path: readonly (string | number)[]): string {
	return path.map((part) => `/${String(part).replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");
}

/**
 * Splits a 400's `details` between problems of the schema (paths under `schema`, shown
 * beside the editor by where they are) and the rest (shown above it).
 */
export function schemaProblems(details: readonly ErrorDetail[]): { problems: SchemaProblem[]; other: string[] } {
	const problems: SchemaProblem[] = [];
	const other: string[] = [];
	for (const detail of details) {
		if (detail.path[0] === "schema") problems.push({ pointer: toPointer(detail.path.slice(1)), message: detail.message });
		else other.push(detail.message);
	}
	return { problems, other };
}

/** The editor's text as the body's `schema`, or why it cannot be sent (checked before anything is sent). */
export function parseSchemaText(text: string): { schema: Record<string, unknown> } | { problem: string } {
	if (text.trim() === "") return { problem: "The editor is empty: write a schema, or use Remove schema for none." };
	let parsed: unknown;
	try {
		parsed = JSON.parse(text);
	} catch (error) {
		return { problem: `Not valid JSON: ${error instanceof Error ? error.message : String(error)}` };
	}
	// `null` would remove the schema and an array or a string is no schema: neither is sent.
	if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
		return { problem: 'A schema is a JSON object, such as {"type": "object"}.' };
	}
	return { schema: parsed as Record<string, unknown> };
}

/**
 * A schema as the editor shows it: indented by two spaces, a list of plain values (`"type"`,
 * `"required"`, `"enum"`) on one line so a schema reads at a glance; no schema is an empty editor.
 */
export function schemaText(schema: Record<string, unknown> | null): string {
	return schema === null ? "" : pretty(schema, "");
}

function pretty(value: unknown, indent: string): string {
	if (value === null || typeof value !== "object") return JSON.stringify(value);
	const inner = `${indent}  `;
	if (Array.isArray(value)) {
		if (value.length === 0) return "[]";
		if (value.every((element) => element === null || typeof element !== "object")) {
			return `[${value.map((element) => JSON.stringify(element)).join(", ")}]`;
		}
		return `[\n${value.map((element) => inner + pretty(element, inner)).join(",\n")}\n${indent}]`;
	}
	const entries = Object.entries(value);
	if (entries.length === 0) return "{}";
	return `{\n${entries.map(([name, field]) => `${inner}${JSON.stringify(name)}: ${pretty(field, inner)}`).join(",\n")}\n${indent}}`;
}
