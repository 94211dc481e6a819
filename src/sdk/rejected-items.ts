import type { DataPoolError, ItemProblem, RejectedItem } from "./errors.ts";

/** The items of a refused batch that the API named, how many it said failed in all, and the rest. */
export interface Rejection {
	rejected: RejectedItem[];
	rejectedTotal: number;
	notRejected: object[];
}

/**
 * The count the API's message of an item refusal starts with: "3 of 10 items do not
 * match the stream's schema." (the contract: `message` says how many items failed in
 * all, while `details` lists at most 100 problems). Null when it says no such thing.
 */
function failedItemsInMessage(message: string): number | null {
	const match = /^(\d[\d,]*) of \d[\d,]* items? /.exec(message);
	const failed = Number(match?.[1]?.replaceAll(",", ""));
	return Number.isSafeInteger(failed) ? failed : null;
}

/**
 * Maps a batch's refusal to the items it names: a `400 INVALID_PAYLOAD` whose details
 * carry item indexes, each index within the batch sent. Anything else names no item.
 */
export function rejectionOf(error: DataPoolError, items: readonly object[]): Rejection {
	const problems = new Map<number, ItemProblem[]>();
	if (error.status === 400 && error.code === "INVALID_PAYLOAD") {
		for (const detail of error.details) {
			const { index } = detail;
			// An index the batch does not have is the server's mistake: it names none of our items.
			if (index === undefined || index >= items.length) continue;
			// The path within the item: the details' path starts with the item's index.
			const path = detail.path[0] === index ? detail.path.slice(1) : detail.path;
			const list = problems.get(index) ?? [];
			list.push({ path, message: detail.message });
			problems.set(index, list);
		}
	}
	const rejected: RejectedItem[] = [];
	const notRejected: object[] = [];
	items.forEach((item, index) => {
		const list = problems.get(index);
		if (list) rejected.push({ index, item, problems: list });
		else notRejected.push(item);
	});
	const counted = rejected.length > 0 ? failedItemsInMessage(error.message) : null;
	return {
		rejected,
		// Never fewer than listed, never more than the batch held, whatever the message says.
		rejectedTotal: Math.min(items.length, Math.max(rejected.length, counted ?? 0)),
		notRejected,
	};
}
