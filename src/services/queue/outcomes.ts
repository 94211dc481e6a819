
/** Groups values by a key, keeping first-seen order. */
export function groupBy<T>(values: T[], keyOf: (value: T) => string): Map<string, T[]> {
	const groups = new Map<string, T[]>();
	for (const value of values) {
		const key = keyOf(value);
		const group = groups.get(key);
		if (group) group.push(value);
		else groups.set(key, [value]);
	}
	return groups;
}

/** Retry delay for a failed delivery: exponential from 2 s, capped at `maxSeconds` (QUEUE_RETRY_MAX_DELAY_SECONDS, 5 minutes). */
export function retryDelaySeconds(attempts: number, maxSeconds = 300): number {
	return Math.min(maxSeconds, 2 ** Math.max(1, attempts));
}
