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

/**
 * Items told apart by their value, not their key (keyless keys are the server's to choose): `sent`
 * names every value that must be stored exactly once, by an identity `identify` derives from it.
 * Returns what is wrong, as counts and the first few examples, so a million items fail readably.
 */
export function valueDifferences(
	sent: Map<string, Record<string, unknown>>,
	items: StoredItem[],
	identify: (value: Record<string, unknown>) => string,
): { lost: number; doubled: number; unknown: number; altered: number; examples: string[] } {
	const seen = new Map<string, number>();
	const result = { lost: 0, doubled: 0, unknown: 0, altered: 0, examples: [] as string[] };
	const note = (problem: string) => {
		if (result.examples.length < 10) result.examples.push(problem);
	};
	for (const item of items) {
		const id = identify(item.value);
		const count = (seen.get(id) ?? 0) + 1;
		seen.set(id, count);
		const want = sent.get(id);
		if (count === 2) {
			result.doubled++;
			note(`${id}: stored more than once`);
		}
		if (!want) {
			result.unknown++;
			note(`${id} (key ${item.key}): never sent`);
		} else if (count === 1 && JSON.stringify(want) !== JSON.stringify(item.value)) {
			result.altered++;
			note(`${id}: stored ${JSON.stringify(item.value).slice(0, 120)}`);
		}
	}
	for (const id of sent.keys()) {
		if (seen.has(id)) continue;
		result.lost++;
		note(`${id}: lost`);
	}
	return result;
}
