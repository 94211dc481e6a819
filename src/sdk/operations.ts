import { MAX_REQUEST_BYTES, MAX_REQUEST_ITEMS } from "./batch-plan.ts";
import { DataPoolError } from "./errors.ts";
import { checkItem } from "./item-check.ts";

/** What a request's items do, sent as `X-Ingest-Mode` (see the contract, "Managing items and streams"). */
export type IngestMode = "upsert" | "delete" | "replace";

/** An item key value as the API takes it: a non-empty string or a finite number. */
export type ItemKeyValue = string | number;

const encoder = new TextEncoder();

/**
 * Refuses, before sending, a body that must travel as one request and that the API
 * would refuse: a replace cannot be split (two requests would be two replaces, the
 * second removing what the first wrote), and a delete is one operation per call.
 */
function checkOneRequest(json: string, count: number, what: string): string {
	if (count > MAX_REQUEST_ITEMS) {
		throw new DataPoolError(`${what} holds ${count} items; one request takes at most ${MAX_REQUEST_ITEMS}, and it cannot be split.`, {
			code: "INVALID_PAYLOAD",
		});
	}
	const bytes = encoder.encode(json).byteLength;
	if (bytes > MAX_REQUEST_BYTES) {
		throw new DataPoolError(`${what} is ${bytes} bytes of JSON; one request takes at most ${MAX_REQUEST_BYTES}, and it cannot be split.`, {
			code: "PAYLOAD_TOO_LARGE",
		});
	}
	return json;
}

/**
 * The body of a delete: one `{[itemKey]: key}` per key. Each key is checked as the API
 * checks item keys, so one bad key is refused here, alone, with its index.
 */
export function deleteBody(keys: ItemKeyValue | readonly ItemKeyValue[], itemKey: string): string {
	if (typeof itemKey !== "string" || itemKey === "") {
		throw new TypeError("delete() needs options.itemKey: the field the keys are values of.");
	}
	const list: readonly unknown[] = Array.isArray(keys) ? keys : [keys];
	if (list.length === 0) throw new DataPoolError("delete() needs at least one key.", { code: "INVALID_PAYLOAD" });
	const items = list.map((key, index) => {
		const item = { [itemKey]: key };
		try {
			return checkItem(item, itemKey);
		} catch (error) {
			throw new DataPoolError(`Key ${index} cannot be deleted: it must be a non-empty string of at most 512 characters or a finite number.`, {
				code: "INVALID_PAYLOAD",
				details: [{ path: [index, itemKey], message: "Invalid item key", index }],
				cause: error,
			});
		}
	});
	return checkOneRequest(`[${items.join(",")}]`, items.length, "The delete");
}

/** The body of a replace: the items as one JSON array, which may be empty (a clear). */
export function replaceBody(items: readonly object[]): string {
	if (!Array.isArray(items)) throw new TypeError("replace() takes an array of items; [] clears the stream.");
	return checkOneRequest(JSON.stringify(items), items.length, "The replace");
}
