import { z } from "zod";
import { invalidPayload } from "./errors";
import { type ItemProblem, count, itemProblemsError } from "./item-problems";

/** A JSON object as ingested. */
export type JsonObject = Record<string, unknown>;

/** One item of a request: its resolved key (null when keyless) and the object itself. */
export interface ParsedItem {
	key: string | null;
	value: JsonObject;
}

/** How a body encodes its items. */
export type PayloadFormat = "json" | "ndjson";

/** What a request's items do to the stream (`X-Ingest-Mode`). */
export const IngestMode = z.enum(["upsert", "delete", "replace"]);
export type IngestMode = z.infer<typeof IngestMode>;

export const MAX_ITEMS = 10_000;
/** Deeper documents are refused: they would overflow the stack of whoever serialises them next. */
export const MAX_DEPTH = 64;
export const MAX_ITEM_KEY_LENGTH = 512;

const isJsonObject = (value: unknown): value is JsonObject =>
	typeof value === "object" && value !== null && !Array.isArray(value);

// z.custom checks without copying: the objects are kept as parsed, `__proto__` keys included.
const JsonObjectSchema = z.custom<JsonObject>(isJsonObject, { message: "Each item must be a JSON object." });

const itemList = (min: number) =>
	z
		.array(JsonObjectSchema)
		.min(min, "The array must hold at least one object (an empty array only replaces: X-Ingest-Mode: replace).")
		.max(MAX_ITEMS, `At most ${MAX_ITEMS.toLocaleString("en-US")} items per request.`);
// An empty array is a clear: allowed with X-Ingest-Mode: replace only.
const ITEM_LISTS = { upsert: itemList(1), delete: itemList(1), replace: itemList(0) } as const;

const Document = z.union([JsonObjectSchema, z.array(z.unknown())], {
	error: "The body must be a JSON object or a non-empty array of JSON objects.",
});

/**
 * The form of the keys the stream gives keyless items (`<request_id>:<index>`). A client's
 * key of that form could overwrite a keyless item, so it is refused; a number never matches.
 */
const RESERVED_ITEM_KEY = /^req_[0-9a-z]{26}:\d+$/;

/** Whether a resolved item key has the form reserved for keyless items. */
export const isReservedItemKey = (key: string): boolean => RESERVED_ITEM_KEY.test(key);

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

/** Splits zod's issues into problems of single items and problems of the body as a whole. */
function sortIssues(error: z.ZodError): { items: ItemProblem[]; body: { path: (string | number)[]; message: string }[] } {
	const items: ItemProblem[] = [];
	const body: { path: (string | number)[]; message: string }[] = [];
	for (const issue of error.issues) {
		const [first, ...rest] = issue.path.map((segment) => (typeof segment === "symbol" ? String(segment) : segment));
		if (typeof first === "number") items.push({ index: first, path: [first, ...rest], message: issue.message });
		else body.push({ path: first === undefined ? [] : [first, ...rest], message: issue.message });
	}
	return { items, body };
}

/** Why an item's key is refused, or null when `key` is fine. */
function keyProblem(key: string | null, itemKey: string, index: number): string | null {
	if (key === null) {
		return `Item ${index} needs "${itemKey}" as a non-empty string (at most ${MAX_ITEM_KEY_LENGTH} characters) or a finite number.`;
	}
	if (isReservedItemKey(key)) {
		return `Item ${index} has "${itemKey}" of the form <request_id>:<index>, which is reserved for keyless items.`;
	}
	return null;
}

/**
 * Validates a parsed document as items and resolves their keys with `itemKey`
 * (null: every item keyless). Every bad item is counted; the first 100 are listed.
 * A delete needs an item key in force (it names the items to remove); a replace may be empty.
 */
export function validateItems(
	document: unknown,
	itemKey: string | null,
	mode: IngestMode = "upsert",
	check?: ItemCheck,
): ParsedItem[] {
	const shape = Document.safeParse(document);
	if (!shape.success) throw invalidPayload(shape.error.issues[0]?.message ?? "Invalid body.");
	if (mode === "delete" && itemKey === null) {
		throw invalidPayload("X-Ingest-Mode: delete names items by their key: send X-Item-Key, or give the connector an item_key.");
	}
	const candidates = Array.isArray(shape.data) ? shape.data : [shape.data];
	const list = ITEM_LISTS[mode].safeParse(candidates);
	if (!list.success) {
		const issues = sortIssues(list.error);
		// A count out of range refuses the body whole: zod then checks no item.
		const [general] = issues.body;
		if (general) throw invalidPayload(general.message, issues.body);
		throw itemProblemsError(issues.items, (failed) => `${failed} of ${count(candidates.length)} items are not JSON objects.`);
	}
	const items = list.data;
	const checked = check ? check.problems(items) : [];
	const keyed: ParsedItem[] = [];
	const bad: ItemProblem[] = [];
	items.forEach((value, index) => {
		if (itemKey === null) {
			keyed.push({ key: null, value });
			return;
		}
		const key = Object.hasOwn(value, itemKey) ? resolveItemKey(value[itemKey]) : null;
		const problem = keyProblem(key, itemKey, index);
		if (problem !== null) bad.push({ index, path: [index, itemKey], message: problem });
		else keyed.push({ key, value });
	});
	if (bad.length > 0 || checked.length > 0) {
		// Key problems and the check's, in one answer: each item's key problem first.
		const why = [bad.length > 0 ? `lack a valid item key "${itemKey}"` : null, checked.length > 0 ? check?.failing : null].filter(Boolean).join(" or ");
		throw itemProblemsError([...bad, ...checked], (failed) => `${failed} of ${count(items.length)} items ${why}.`);
	}
	return keyed;
}

/** A further check of a request's items (the stream's schema, at the edge): their problems, and how the message words a failing item. */
export interface ItemCheck {
	problems(items: readonly JsonObject[]): ItemProblem[];
	/** e.g. "do not match the stream's schema", after "3 of 10 items". */
	failing: string;
}

/** Decoded text → validated items: the whole check an ingest body goes through, at the edge and again in the stream. */
export function parsePayload(text: string, format: PayloadFormat, itemKey: string | null, mode: IngestMode = "upsert"): ParsedItem[] {
	return validateItems(parseDocument(text, format), itemKey, mode);
}
