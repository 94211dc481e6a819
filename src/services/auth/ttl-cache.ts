interface Entry<V> {
	value: V;
	expiresAt: number;
}

/**
 * A small in-isolate cache with a time-to-live and a size bound (oldest entry
 * evicted first). Isolates are not shared, so a TTL is what bounds staleness.
 */
export class TtlCache<V> {
	readonly #entries = new Map<string, Entry<V>>();

	constructor(
		readonly maxEntries = 10_000,
		readonly now: () => number = Date.now,
	) {}

	/** The cached value, or `undefined` if absent or expired. */
	get(key: string): V | undefined {
		const entry = this.#entries.get(key);
		if (!entry) return undefined;
		if (entry.expiresAt <= this.now()) {
			this.#entries.delete(key);
			return undefined;
		}
		return entry.value;
	}

	/** Stores `value` for `ttlMs`; a TTL of 0 stores nothing (and drops what was there). */
	set(key: string, value: V, ttlMs: number): void {
		this.#entries.delete(key);
		if (ttlMs <= 0) return;
		if (this.#entries.size >= this.maxEntries) {
			const oldest = this.#entries.keys().next();
			if (!oldest.done) this.#entries.delete(oldest.value);
		}
		this.#entries.set(key, { value, expiresAt: this.now() + ttlMs });
	}

	delete(key: string): void {
		this.#entries.delete(key);
	}

	/** Drops every entry whose value matches, e.g. all keys of an edited connector. */
	deleteWhere(predicate: (value: V) => boolean): void {
		for (const [key, entry] of this.#entries) if (predicate(entry.value)) this.#entries.delete(key);
	}

	clear(): void {
		this.#entries.clear();
	}
}
