import { DataPoolError } from "./errors.ts";

/** The API's limit on an item key's length. */
const MAX_ITEM_KEY_LENGTH = 512;

function invalid(message: string, cause?: unknown): DataPoolError {
	return new DataPoolError(message, { code: "INVALID_PAYLOAD", ...(cause === undefined ? {} : { cause }) });
}

/**
 * Checks an item as the API will, and returns its JSON text. A batch is accepted
 * or refused whole, so one bad item would sink every item sent with it: it is
 * refused here instead, alone.
 */
export function checkItem(item: unknown, itemKey: string | null): string {
	if (typeof item !== "object" || item === null || Array.isArray(item)) throw invalid("Each item must be a JSON object.");
	let json: unknown;
	try {
		json = JSON.stringify(item);
	} catch (cause) {
		throw invalid(`The item cannot be serialised to JSON: ${cause instanceof Error ? cause.message : String(cause)}`, cause);
	}
	if (typeof json !== "string" || !json.startsWith("{")) throw invalid("The item does not serialise to a JSON object.");
	if (itemKey !== null) {
		const key: unknown = Object.hasOwn(item, itemKey) ? Reflect.get(item, itemKey) : undefined;
		const valid =
			(typeof key === "string" && key.length > 0 && key.length <= MAX_ITEM_KEY_LENGTH) || (typeof key === "number" && Number.isFinite(key));
		if (!valid) throw invalid(`The item needs "${itemKey}" as a non-empty string or a finite number.`);
	}
	return json;
}
