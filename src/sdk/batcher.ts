import { type BatchLimits, jsonArrayBytes, MAX_REQUEST_BYTES, MAX_REQUEST_ITEMS, planBatches } from "./batch-plan.ts";
import { BatchError, type BatchFailure, DataPoolError } from "./errors.ts";
import { assertRandomSource, newIdempotencyKey } from "./idempotency-key.ts";
import { checkItem } from "./item-check.ts";
import { rejectionOf } from "./rejected-items.ts";
import type { BatcherOptions, IngestResult, JsonIngest } from "./types.ts";

/** An item as buffered: serialised once, when added, so later changes to the object do not leak in. */
interface Entry {
	value: object;
	json: string;
	bytes: number;
	/** Position in the order of add() calls: batches are sent, and so settle, in this order. */
	seq: number;
}

interface Waiter {
	entry: Entry;
	admitted: () => void;
}

const DEFAULTS = { maxItems: 500, maxBytes: 900 * 1024, flushIntervalMs: 1000, maxBufferedItems: 10_000 };

function limit(name: string, value: number, min: number, max: number): number {
	if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`${name} must be an integer from ${min} to ${max}.`);
	return value;
}

/**
 * Groups items into requests: a batch leaves when it holds `maxItems`, when the next
 * item would push it past `maxBytes`, or `flushIntervalMs` after its first item.
 * One request is in flight at a time, so batches reach the API in the order the
 * items were added. Create it with `client.createBatcher()`.
 *
 * A batch is one request, accepted or refused whole. A batch answered `400
 * INVALID_PAYLOAD` naming some of its items (a stream schema they fail) is not
 * retried: `onRejected` gets those items with their problems, and none of the
 * batch's items were applied; the failure's `notRejected` holds the others, to
 * `add()` again.
 */
export class Batcher {
	readonly #client: JsonIngest;
	readonly #limits: BatchLimits;
	readonly #flushIntervalMs: number;
	readonly #maxBuffered: number;
	readonly #options: BatcherOptions;
	readonly #encoder = new TextEncoder();

	#pending: Entry[] = [];
	#pendingBytes = 0;
	#queue: Entry[][] = [];
	#sending = false;
	/** Items buffered, queued or in flight: what `maxBufferedItems` bounds. */
	#held = 0;
	#waiters: Waiter[] = [];
	#progress: (() => void)[] = [];
	#timer: ReturnType<typeof setTimeout> | undefined;
	#lastSeq = 0;
	#settledSeq = 0;
	#failures: BatchFailure[] = [];
	#closed = false;
	/** True while onRejected runs: its add() calls are taken even during close(). */
	#inOnRejected = false;
	/** The last item added from onRejected: flush() and close() wait for it too. */
	#readdedSeq = 0;

	constructor(client: JsonIngest, options: BatcherOptions = {}) {
		this.#client = client;
		this.#options = options;
		this.#limits = {
			maxItems: limit("maxItems", options.maxItems ?? DEFAULTS.maxItems, 1, MAX_REQUEST_ITEMS),
			maxBytes: limit("maxBytes", options.maxBytes ?? DEFAULTS.maxBytes, 3, MAX_REQUEST_BYTES),
		};
		this.#flushIntervalMs = limit("flushIntervalMs", options.flushIntervalMs ?? DEFAULTS.flushIntervalMs, 0, 2 ** 31 - 1);
		this.#maxBuffered = limit("maxBufferedItems", options.maxBufferedItems ?? DEFAULTS.maxBufferedItems, 1, Number.MAX_SAFE_INTEGER);
		// Without a source of keys every batch would fail later, one by one: say so now.
		if (options.idempotencyKey === undefined) assertRandomSource();
	}

	/** Items added and not yet answered by the API. */
	get size(): number {
		return this.#held + this.#waiters.length;
	}

	/**
	 * Buffers an item. Resolves once it is buffered, which waits while
	 * `maxBufferedItems` are held (backpressure); delivery is confirmed by `flush()`.
	 * Rejects at once, with a DataPoolError, an item the API would refuse: not an
	 * object, without the item key, or too large for a request of `maxBytes`.
	 * Once `close()` was called it rejects with `BATCHER_CLOSED`, except when called
	 * from `onRejected` (synchronously), so a refused batch's items can go again.
	 */
	async add(item: object): Promise<void> {
		if (this.#closed && !this.#inOnRejected) throw new DataPoolError("The batcher is closed.", { code: "BATCHER_CLOSED" });
		const json = checkItem(item, this.#options.itemKey ?? null);
		const bytes = this.#encoder.encode(json).byteLength;
		if (jsonArrayBytes(1, bytes) > this.#limits.maxBytes) {
			throw new DataPoolError(`The item is ${bytes} bytes of JSON; a batch holds at most ${this.#limits.maxBytes}.`, {
				code: "PAYLOAD_TOO_LARGE",
			});
		}
		const entry: Entry = { value: item, json, bytes, seq: ++this.#lastSeq };
		if (this.#inOnRejected) this.#readdedSeq = entry.seq;
		if (this.#held < this.#maxBuffered && this.#waiters.length === 0) {
			this.#admit(entry);
			return;
		}
		// Full: send what is buffered to make room, and wait in line behind earlier adds.
		await new Promise<void>((admitted) => {
			this.#waiters.push({ entry, admitted });
			this.#cut(true);
		});
	}

	/**
	 * Sends everything added so far and resolves once the API has answered all of it.
	 * Rejects with a BatchError listing the batches that failed since the previous
	 * `flush()` or `close()`: each failure is reported once.
	 */
	async flush(): Promise<void> {
		const target = this.#lastSeq;
		// Items added again from onRejected meanwhile are part of what was asked to be delivered.
		while (this.#settledSeq < Math.max(target, this.#readdedSeq)) {
			const progressed = new Promise<void>((resolve) => this.#progress.push(resolve));
			this.#cut(true);
			await progressed;
		}
		const failures = this.#failures;
		this.#failures = [];
		if (failures.length > 0) throw new BatchError(failures);
	}

	/** Refuses further items, then flushes: resolves when everything is delivered, rejects like `flush()`. */
	async close(): Promise<void> {
		this.#closed = true;
		await this.flush();
	}

	#admit(entry: Entry): void {
		this.#held += 1;
		this.#pending.push(entry);
		this.#pendingBytes += entry.bytes;
		const full =
			this.#pending.length >= this.#limits.maxItems ||
			jsonArrayBytes(this.#pending.length, this.#pendingBytes) > this.#limits.maxBytes;
		if (full) this.#cut(false);
		else this.#timer ??= setTimeout(() => this.#cut(true), this.#flushIntervalMs);
	}

	/** Moves buffered items into batches to send: all of them, or only the batches that are full. */
	#cut(all: boolean): void {
		if (this.#timer !== undefined) clearTimeout(this.#timer);
		this.#timer = undefined;
		const counts = planBatches(
			this.#pending.map((entry) => entry.bytes),
			this.#limits,
		);
		const last = counts.at(-1);
		if (!all && last !== undefined && last < this.#limits.maxItems) counts.pop();
		for (const count of counts) this.#queue.push(this.#pending.splice(0, count));
		this.#pendingBytes = this.#pending.reduce((sum, entry) => sum + entry.bytes, 0);
		if (this.#pending.length > 0) this.#timer = setTimeout(() => this.#cut(true), this.#flushIntervalMs);
		void this.#pump();
	}

	async #pump(): Promise<void> {
		if (this.#sending) return;
		const batch = this.#queue.shift();
		if (!batch) return;
		this.#sending = true;
		const items = batch.map((entry) => entry.value);
		const json = `[${batch.map((entry) => entry.json).join(",")}]`;
		const itemKey = this.#options.itemKey ?? null;
		let idempotencyKey = "";
		try {
			// One key per batch, made once: the client's retries of this batch all send it.
			idempotencyKey = this.#options.idempotencyKey?.({ items, offset: (batch[0]?.seq ?? 1) - 1 }) ?? newIdempotencyKey();
			const result = await this.#client.ingestJson(json, {
				idempotencyKey,
				...(itemKey === null ? {} : { itemKey }),
				...(this.#options.stream === undefined ? {} : { stream: this.#options.stream }),
			});
			this.#notify(this.#options.onBatch, result, items);
		} catch (caught) {
			const error =
				caught instanceof DataPoolError
					? caught
					: new DataPoolError(`The batch could not be sent: ${String(caught)}`, { code: "UNEXPECTED_ERROR", cause: caught });
			const failure: BatchFailure = { error, items, idempotencyKey, ...rejectionOf(error, items) };
			this.#failures.push(failure);
			if (failure.rejected.length > 0) {
				this.#inOnRejected = true;
				this.#notify(this.#options.onRejected, failure.rejected, failure);
				this.#inOnRejected = false;
			}
			this.#notify(this.#options.onError, failure);
		} finally {
			this.#settled(batch);
		}
	}

	#settled(batch: Entry[]): void {
		this.#held -= batch.length;
		this.#settledSeq = batch.at(-1)?.seq ?? this.#settledSeq;
		this.#sending = false;
		while (this.#held < this.#maxBuffered) {
			const waiter = this.#waiters.shift();
			if (!waiter) break;
			this.#admit(waiter.entry);
			waiter.admitted();
		}
		// Still full with adds waiting: send now rather than after flushIntervalMs.
		if (this.#waiters.length > 0) this.#cut(true);
		for (const resolve of this.#progress.splice(0)) resolve();
		void this.#pump();
	}

	// A callback that throws must not break the batcher; the failure itself is still reported by flush() and close().
	#notify<A extends unknown[]>(callback: ((...args: A) => void) | undefined, ...args: A): void {
		try {
			callback?.(...args);
		} catch {
			// Deliberately ignored: see above.
		}
	}
}
