/**
 * How much one transaction of the stream may take. A delivery (up to 100 queue
 * messages, many requests) is split into as many transactions as these bounds need;
 * a request is never split, and one request alone always fits (the edge caps it at
 * 10,000 items and 1 MiB), so every transaction holds at least one.
 */
export const TRANSACTION_LIMITS = { items: 10_000, bytes: 1024 * 1024 };

/** The bound of one bound parameter of JSON rows: far below SQLite's 2 MB for a value in Durable Objects. */
export const STATEMENT_JSON_BYTES = 256 * 1024;

/** What a transaction has taken so far: items written and bytes of text handled. */
export class WorkBudget {
	#items = 0;
	#bytes = 0;

	constructor(readonly limits: { items: number; bytes: number } = TRANSACTION_LIMITS) {}

	/** Whether work of this size still fits; work always fits an empty budget, so each transaction makes progress. */
	fits(items: number, bytes: number): boolean {
		if (this.#items === 0 && this.#bytes === 0) return true;
		return this.#items + items <= this.limits.items && this.#bytes + bytes <= this.limits.bytes;
	}

	/** Counts work done. */
	take(items: number, bytes: number): void {
		this.#items += items;
		this.#bytes += bytes;
	}
}

/**
 * Rows as JSON arrays of at most about `maxBytes` each (a row bigger than that goes
 * alone), so that a statement fed through `json_each(?)` never binds a value past
 * SQLite's limit, however many rows a transaction writes.
 */
export function jsonChunks(rows: unknown[], maxBytes = STATEMENT_JSON_BYTES): string[] {
	return jsonRowChunks(rows, maxBytes).map((chunk) => chunk.json);
}

/** `jsonChunks`, with how many rows each chunk holds (in order: chunk N starts where N - 1 ended). */
export function jsonRowChunks(rows: unknown[], maxBytes = STATEMENT_JSON_BYTES): { json: string; count: number }[] {
	const chunks: { json: string; count: number }[] = [];
	let current: string[] = [];
	let size = 2;
	for (const row of rows) {
		const text = JSON.stringify(row);
		if (current.length > 0 && size + text.length + 1 > maxBytes) {
			chunks.push({ json: `[${current.join(",")}]`, count: current.length });
			current = [];
			size = 2;
		}
		current.push(text);
		size += text.length + 1;
	}
	if (current.length > 0) chunks.push({ json: `[${current.join(",")}]`, count: current.length });
	return chunks;
}
