/** Looks hashes up in one query and returns the grants found (unknown hashes are simply absent). */
export type LookupMany<G> = (hashes: string[]) => Promise<G[]>;

/** The time source of a budget; a test drives its own. */
export interface Clock {
	now(): number;
	sleep(ms: number): Promise<void>;
}

/** The bounds of a budget. */
export interface BudgetOptions {
	/** Lookups answered one by one, at once, before lookups are batched. */
	burst: number;
	/** How fast that allowance comes back, per second. */
	refillPerSecond: number;
	/** Past the allowance, at most one batched query this often... */
	batchIntervalMs: number;
	/** ...carrying at most this many hashes. */
	batchSize: number;
	/** Hashes waiting for a batch, at most; past it a lookup is refused (LookupsBusy). */
	maxWaiting: number;
	/** A batch not answered by then (its query hangs, or its sender's request was cancelled) is sent again. */
	resendAfterMs: number;
}

export const DEFAULT_BUDGET: BudgetOptions = {
	burst: 100,
	refillPerSecond: 20,
	batchIntervalMs: 50,
	batchSize: 100,
	maxWaiting: 2_000,
	resendAfterMs: 5_000,
};

const realClock: Clock = {
	now: () => Date.now(),
	sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Too many unknown secrets are waiting to be looked up in this isolate; the caller should retry shortly. */
export class LookupsBusy extends Error {
	constructor() {
		super("Too many credentials are being checked at once.");
		this.name = "LookupsBusy";
	}
}

// A waiter holds plain data, never a promise: a promise resolved by another request would resume its
// awaiter in that request's I/O context (workerd then cancels both), so each waiter polls its own entry.
interface Waiter<G> {
	result?: { grant: G | null } | { error: unknown };
	sentAt: number | null;
}

/**
 * Bounds an isolate's D1 lookups of secrets its cache does not know, whatever a flood of
 * forged ones looks like. Lookups are answered one by one from a token bucket; a lookup
 * that finds its secret gives its token back, so only misses spend it. Once it is spent,
 * lookups wait and travel together: one query per `batchIntervalMs` carrying up to
 * `batchSize` hashes (a waiter sees its answer at its next look, within an interval). A real
 * key still resolves, after a wait of a few intervals; past `maxWaiting` waiting hashes,
 * lookups are refused (LookupsBusy) instead of queued.
 */
export class LookupBudget<G extends { hash: string }> {
	#tokens: number;
	#refilledAt: number;
	#nextBatchAt = 0;
	// Insertion order is the order hashes go out in.
	readonly #waiting = new Map<string, Waiter<G>>();

	constructor(
		readonly options: BudgetOptions = DEFAULT_BUDGET,
		readonly clock: Clock = realClock,
	) {
		this.#tokens = options.burst;
		this.#refilledAt = clock.now();
	}

	/** The grant of `hash`, or null if unknown, within the budget. */
	async lookup(hash: string, many: LookupMany<G>): Promise<G | null> {
		if (this.#take()) {
			const [found = null] = await many([hash]);
			if (found) this.#tokens = Math.min(this.options.burst, this.#tokens + 1);
			return found;
		}
		return this.#batched(hash, many);
	}

	#take(): boolean {
		const now = this.clock.now();
		const refill = ((now - this.#refilledAt) / 1000) * this.options.refillPerSecond;
		this.#tokens = Math.min(this.options.burst, this.#tokens + refill);
		this.#refilledAt = now;
		if (this.#tokens < 1) return false;
		this.#tokens -= 1;
		return true;
	}

	async #batched(hash: string, many: LookupMany<G>): Promise<G | null> {
		let entry = this.#waiting.get(hash);
		if (!entry) {
			if (this.#waiting.size >= this.options.maxWaiting) throw new LookupsBusy();
			entry = { sentAt: null };
			this.#waiting.set(hash, entry);
		}
		// Whoever waits when a batch is due sends it and awaits it in its own request; the others look again at the next slot.
		while (!entry.result) {
			const wait = this.#nextBatchAt - this.clock.now();
			if (wait <= 0) {
				this.#nextBatchAt = this.clock.now() + this.options.batchIntervalMs;
				// A query that hangs holds its sender no longer than it takes the batch to become due again.
				await Promise.race([this.#send(many), this.clock.sleep(this.options.resendAfterMs)]);
			} else {
				await this.clock.sleep(wait);
			}
		}
		const result = entry.result;
		if ("error" in result) throw result.error;
		return result.grant;
	}

	async #send(many: LookupMany<G>): Promise<void> {
		const now = this.clock.now();
		const batch: [string, Waiter<G>][] = [];
		for (const [hash, entry] of this.#waiting) {
			if (batch.length >= this.options.batchSize) break;
			if (entry.sentAt !== null && now - entry.sentAt < this.options.resendAfterMs) continue;
			entry.sentAt = now;
			batch.push([hash, entry]);
		}
		if (batch.length === 0) return;
		let result: { found: Map<string, G> } | { error: unknown };
		try {
			result = { found: new Map((await many(batch.map(([hash]) => hash))).map((grant) => [grant.hash, grant])) };
		} catch (error) {
			result = { error };
		}
		for (const [hash, entry] of batch) {
			if (this.#waiting.get(hash) === entry) this.#waiting.delete(hash);
			entry.result ??= "error" in result ? result : { grant: result.found.get(hash) ?? null };
		}
	}
}
