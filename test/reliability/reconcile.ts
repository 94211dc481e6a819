// What the stream must hold after a load, worked out from the 202s alone.

/** An item as the snapshot shows it. */
export interface StoredItem {
	key: string;
	value: Record<string, unknown>;
	seq: number;
}

/** One accepted request: its id and the items it carried. */
export interface Accepted {
	requestId: string;
	items: Record<string, unknown>[];
}

/** What is wrong with a stream's items compared with what was expected; empty when they agree exactly. */
export function differences(expected: Map<string, Record<string, unknown>>, items: StoredItem[]): string[] {
	const problems: string[] = [];
	const seen = new Set<string>();
	for (const item of items) {
		if (seen.has(item.key)) problems.push(`${item.key}: stored twice`);
		seen.add(item.key);
		const want = expected.get(item.key);
		if (!want) problems.push(`${item.key}: never accepted`);
		else if (JSON.stringify(want) !== JSON.stringify(item.value)) problems.push(`${item.key}: ${JSON.stringify(item.value)} instead of ${JSON.stringify(want)}`);
	}
	for (const key of expected.keys()) if (!seen.has(key)) problems.push(`${key}: lost`);
	return problems;
}

/** Keyless items are stored under `<request id>:<index>`. */
export function keylessExpectation(accepted: Accepted[]): Map<string, Record<string, unknown>> {
	const expected = new Map<string, Record<string, unknown>>();
	for (const { requestId, items } of accepted) items.forEach((item, index) => expected.set(`${requestId}:${index}`, item));
	return expected;
}

/**
 * Keyed items: last writer wins by the edge's receive time, ties by request id, and request ids
 * start with that time, so the winner of a key is the accepted request with the greatest id
 * (the last of its items with that key, if it carried several).
 */
export function keyedExpectation(accepted: Accepted[], itemKey: string): Map<string, Record<string, unknown>> {
	const winners = new Map<string, { requestId: string; value: Record<string, unknown> }>();
	for (const { requestId, items } of accepted) {
		for (const item of items) {
			const key = String(item[itemKey]);
			const current = winners.get(key);
			if (!current || current.requestId <= requestId) winners.set(key, { requestId, value: item });
		}
	}
	return new Map([...winners].map(([key, { value }]) => [key, value]));
}
