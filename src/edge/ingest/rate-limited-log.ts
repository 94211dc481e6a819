import { logError } from "../../model/log";
import type { RateLimit } from "../../model/token-bucket";
import type { RateLimitedWindow } from "../../storage/connector-logs";

/** Rate-limited requests are logged per connector in aligned windows of this length. */
export const RATE_LIMITED_WINDOW_MS = 10_000;
// Retries of a window's final write, spaced so all of them end well inside waitUntil's 30 s.
const RETRY_DELAYS_MS = [1_000, 3_000];

/** The time source of the aggregator; a test drives its own. */
export interface Clock {
	now(): number;
	sleep(ms: number): Promise<void>;
}

const realClock: Clock = {
	now: () => Date.now(),
	sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** One refused request, as the aggregator needs it. */
export interface Refusal {
	connectorId: string;
	requestId: string;
	receivedAt: string;
	/** The limit in force, for the entry's message. */
	limit: RateLimit;
}

type Write = (window: RateLimitedWindow) => Promise<void>;

interface Aggregate {
	first: Refusal;
	startsAt: number;
	endsAt: number;
	count: number;
	/** The count the last successful write stored. */
	written: number;
}

const numbers = new Intl.NumberFormat("en-US");

/**
 * Counts an isolate's 429s per connector and window, so a flood costs at most two D1
 * writes per connector, window and isolate instead of one per request: the first
 * refusal of a window writes its entry at once (count 1), and when the window closes
 * one more write stores the final count if it grew. Counts only live in memory in
 * between: an isolate evicted before its window closes loses that window's count
 * beyond what was written (at most one window per connector).
 */
export class RateLimitedLog {
	readonly #open = new Map<string, Aggregate>();

	constructor(
		readonly windowMs = RATE_LIMITED_WINDOW_MS,
		readonly clock: Clock = realClock,
	) {}

	/**
	 * Counts one refused request. Returns the work that writes its window (hand it to
	 * waitUntil) when this request opens the window, else null (it is only counted).
	 */
	record(refusal: Refusal, write: Write): Promise<void> | null {
		const now = this.clock.now();
		const current = this.#open.get(refusal.connectorId);
		if (current && now < current.endsAt) {
			current.count += 1;
			return null;
		}
		const startsAt = now - (now % this.windowMs);
		const aggregate: Aggregate = { first: refusal, startsAt, endsAt: startsAt + this.windowMs, count: 1, written: 0 };
		this.#open.set(refusal.connectorId, aggregate);
		return this.#run(aggregate, write);
	}

	async #run(aggregate: Aggregate, write: Write): Promise<void> {
		await this.#write(aggregate, write);
		await this.clock.sleep(Math.max(0, aggregate.endsAt - this.clock.now()));
		// Closed before the final write: a refusal from now on opens the next window, so none is counted after its window was written.
		if (this.#open.get(aggregate.first.connectorId) === aggregate) this.#open.delete(aggregate.first.connectorId);
		for (const delay of [0, ...RETRY_DELAYS_MS]) {
			if (aggregate.count <= aggregate.written) return;
			if (delay > 0) await this.clock.sleep(delay);
			await this.#write(aggregate, write);
		}
		if (aggregate.count > aggregate.written) {
			logError("rate-limited requests not logged", new Error("D1 write failed"), {
				connector_id: aggregate.first.connectorId,
				request_id: aggregate.first.requestId,
				lost: aggregate.count - aggregate.written,
			});
		}
	}

	async #write(aggregate: Aggregate, write: Write): Promise<void> {
		const count = aggregate.count;
		try {
			await write(entry(aggregate, count));
			aggregate.written = Math.max(aggregate.written, count);
		} catch (error) {
			logError("rate-limited window not written", error, { request_id: aggregate.first.requestId });
		}
	}
}

function entry(aggregate: Aggregate, count: number): RateLimitedWindow {
	const from = new Date(aggregate.startsAt).toISOString();
	const to = new Date(aggregate.endsAt).toISOString();
	const requests = count === 1 ? "1 request" : `${numbers.format(count)} requests`;
	return {
		request_id: aggregate.first.requestId,
		connector_id: aggregate.first.connectorId,
		received_at: aggregate.first.receivedAt,
		window_ends_at: to,
		count,
		error: `RATE_LIMITED: ${requests} refused between ${from} and ${to} (limit: ${numbers.format(aggregate.first.limit.requests)} per ${numbers.format(aggregate.first.limit.period_seconds)} s).`,
	};
}
