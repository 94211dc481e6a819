/** The API's limit on a request body, in bytes. */
export const MAX_REQUEST_BYTES = 1_048_576;
/** The API's limit on items per request. */
export const MAX_REQUEST_ITEMS = 10_000;

/** Limits of one batch. */
export interface BatchLimits {
	maxItems: number;
	maxBytes: number;
}

/** Bytes of a JSON array of `count` items whose texts add up to `itemBytes`: brackets and commas included. */
export function jsonArrayBytes(count: number, itemBytes: number): number {
	return itemBytes + Math.max(0, count - 1) + 2;
}

/**
 * Splits items, in order, into consecutive batches of at most `maxItems` items
 * whose JSON array is at most `maxBytes` bytes. `sizes` are the UTF-8 byte
 * lengths of the items' JSON texts; returns how many items each batch takes.
 * An item too large to travel alone is a RangeError: no split can send it.
 */
export function planBatches(sizes: readonly number[], limits: BatchLimits): number[] {
	const counts: number[] = [];
	let count = 0;
	let bytes = 0;
	for (const size of sizes) {
		if (jsonArrayBytes(1, size) > limits.maxBytes) {
			throw new RangeError(`An item of ${size} bytes does not fit a batch of ${limits.maxBytes} bytes.`);
		}
		if (count > 0 && (count >= limits.maxItems || jsonArrayBytes(count + 1, bytes + size) > limits.maxBytes)) {
			counts.push(count);
			count = 0;
			bytes = 0;
		}
		count += 1;
		bytes += size;
	}
	if (count > 0) counts.push(count);
	return counts;
}
