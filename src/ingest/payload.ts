import { z } from "zod";
import { type ErrorDetail, invalidPayload } from "../http/errors";

/** A JSON object as ingested. */
export type JsonObject = Record<string, unknown>;

/** One item of a request: its resolved key (null when keyless) and the object itself. */
export interface ParsedItem {
	key: string | null;
	value: JsonObject;
}

/** How a body encodes its items. */
export type PayloadFormat = "json" | "ndjson";

export const MAX_ITEMS = 10_000;
/** Deeper documents are refused: they would overflow the stack of whoever serialises them next. */
export const MAX_DEPTH = 64;
export const MAX_ITEM_KEY_LENGTH = 512;

const isJsonObject = (value: unknown): value is JsonObject =>
	typeof value === "object" && value !== null && !Array.isArray(value);

// z.custom checks without copying: the objects are kept as parsed, `__proto__` keys included.
const JsonObjectSchema = z.custom<JsonObject>(isJsonObject, { message: "Each item must be a JSON object." });

const ItemList = z
	.array(JsonObjectSchema)
	.min(1, "The array must hold at least one object.")
	.max(MAX_ITEMS, `At most ${MAX_ITEMS.toLocaleString("en-US")} items per request.`);

const Document = z.union([JsonObjectSchema, z.array(z.unknown())], {
	error: "The body must be a JSON object or a non-empty array of JSON objects.",
});

/** The key an item is filed under: a non-empty string, or a finite number in its canonical string form. */
export function resolveItemKey(value: unknown): string | null {
	if (typeof value === "string") return value.length > 0 && value.length <= MAX_ITEM_KEY_LENGTH ? value : null;
	if (typeof value === "number" && Number.isFinite(value)) return String(value);
	return null;
}

/** Whether the JSON text nests objects/arrays deeper than `max` (strings are skipped). */
export function exceedsDepth(text: string, max = MAX_DEPTH): boolean {
	let depth = 0;
	let inString = false;
	for (let i = 0; i < text.length; i++) {
		const c = text.charCodeAt(i);
		if (inString) {
			if (c === 92) i++;
			else if (c === 34) inString = false;
		} else if (c === 34) inString = true;
		else if (c === 123 || c === 91) {
			if (++depth > max) return true;
		} else if (c === 125 || c === 93) depth--;
	}
	return false;
}

/** Decodes UTF-8 strictly: invalid sequences are a bad payload, not replacement characters. */
export function decodeUtf8(bytes: Uint8Array): string {
	try {
		return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
	} catch {
		throw invalidPayload("The body is not valid UTF-8.");
	}
}

function parseJson(text: string, where: string): unknown {
	try {
		return JSON.parse(text);
	} catch (error) {
		throw invalidPayload(`Malformed JSON${where}: ${error instanceof Error ? error.message : "parse error"}.`);
	}
}

/** Parses the body text: one JSON document, or NDJSON (one object per line, blank lines ignored). */
export function parseDocument(text: string, format: PayloadFormat): unknown {
	if (exceedsDepth(text)) throw invalidPayload(`The body nests deeper than ${MAX_DEPTH} levels.`);
	if (format === "json") return parseJson(text, "");
	const lines: unknown[] = [];
	text.split("\n").forEach((line, index) => {
		if (line.trim() !== "") lines.push(parseJson(line, ` on line ${index + 1}`));
	});
	return lines;
}

function itemDetails(error: z.ZodError): ErrorDetail[] {
	return error.issues.map((issue) => {
		const path = issue.path.map((segment) => (typeof segment === "symbol" ? String(segment) : segment));
		return typeof path[0] === "number" ? { index: path[0], path, message: issue.message } : { path, message: issue.message };
	});
}

/**
 * Validates a parsed document as items and resolves their keys with `itemKey`
 * (null: every item keyless). Every bad item is reported, not just the first.
 */
export function validateItems(document: unknown, itemKey: string | null): ParsedItem[] {
	const shape = Document.safeParse(document);
	if (!shape.success) throw invalidPayload(shape.error.issues[0]?.message ?? "Invalid body.");
	const list = ItemList.safeParse(Array.isArray(shape.data) ? shape.data : [shape.data]);
	if (!list.success) throw invalidPayload("The body holds invalid items.", itemDetails(list.error));
	const items = list.data;
	if (itemKey === null) return items.map((value) => ({ key: null, value }));

	const keyed: ParsedItem[] = [];
	const bad: ErrorDetail[] = [];
	items.forEach((value, index) => {
		const key = Object.hasOwn(value, itemKey) ? resolveItemKey(value[itemKey]) : null;
		if (key === null) {
			bad.push({
				index,
				path: [index, itemKey],
				message: `Item ${index} needs "${itemKey}" as a non-empty string (at most ${MAX_ITEM_KEY_LENGTH} characters) or a finite number.`,
			});
		} else keyed.push({ key, value });
	});
	if (bad.length > 0) {
		throw invalidPayload(`${bad.length} of ${items.length} items lack a valid item key "${itemKey}".`, bad);
	}
	return keyed;
}

/** Decoded text → validated items: the whole check an ingest body goes through, at the edge and again in the stream. */
export function parsePayload(text: string, format: PayloadFormat, itemKey: string | null): ParsedItem[] {
	return validateItems(parseDocument(text, format), itemKey);
}
