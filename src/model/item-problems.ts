import { ApiError, invalidPayload } from "./errors";

/** How many problems one 400 lists at most; its message still counts every item that failed. */
export const MAX_LISTED_PROBLEMS = 100;

/** A field path inside a request: the item's index first, then the path within the item. */
export type ItemPath = [index: number, ...within: (string | number)[]];

/** One problem of one item, as a key check or a schema check finds it. */
export interface ItemProblem {
	index: number;
	path: ItemPath;
	message: string;
}

/** What a bounded list of problems says: the first ones in index order, and how many items failed in all. */
export interface BoundedProblems {
	listed: ItemProblem[];
	failedItems: number;
}

/**
 * Keeps the first `max` problems in index order (an item's own problems keep the order
 * they were found in) and counts the distinct items that failed, so that a body of
 * 10,000 bad items answers a small 400 that still says how many there were.
 */
export function boundProblems(problems: readonly ItemProblem[], max = MAX_LISTED_PROBLEMS): BoundedProblems {
	const failed = new Set<number>();
	for (const problem of problems) failed.add(problem.index);
	// Array.prototype.sort is stable, which keeps each item's problems in their order.
	const listed = [...problems].sort((a, b) => a.index - b.index).slice(0, Math.max(0, max));
	return { listed, failedItems: failed.size };
}

/**
 * The 400 INVALID_PAYLOAD of a request with item problems: `describe` words the message
 * from the number of items that failed, and when the list is cut the message says so.
 */
export function itemProblemsError(problems: readonly ItemProblem[], describe: (failedItems: string) => string): ApiError {
	const { listed, failedItems } = boundProblems(problems);
	const cut = problems.length > listed.length ? ` The first ${listed.length} of ${count(problems.length)} problems are listed.` : "";
	return invalidPayload(`${describe(count(failedItems))}${cut}`, listed);
}

/** A count as the messages print it: 10,000, not 10000. */
export const count = (n: number): string => n.toLocaleString("en-US");

/** A problem's place as the log prints it: `[0].price`, `[3].tags[1]`, `[2]` for the item itself. */
export function problemPlace(path: readonly (string | number)[]): string {
	const [index, ...within] = path;
	return `[${String(index)}]${within.map((segment) => (typeof segment === "number" ? `[${segment}]` : `.${segment}`)).join("")}`;
}

/** How many problems a log entry's error text names. */
export const LOGGED_PROBLEMS = 5;

/**
 * The first problems of a refusal, for its log entry's error text: ` First problems: [0].price: must be number; …`,
 * empty when the details name no item.
 */
export function firstProblems(details: readonly { index?: number; path: readonly (string | number)[]; message: string }[] | undefined): string {
	const items = (details ?? []).filter((detail) => typeof detail.index === "number");
	if (items.length === 0) return "";
	const named = items.slice(0, LOGGED_PROBLEMS).map((detail) => `${problemPlace(detail.path)}: ${detail.message}`);
	return ` First problems: ${named.join("; ")}${items.length > LOGGED_PROBLEMS ? "; …" : ""}`;
}
