/**
 * Counts events per whole second over a sliding window: the live view's ingest
 * rate, fed by the changes it receives.
 */
export class RateWindow {
	readonly #counts = new Map<number, number>();

	constructor(readonly seconds = 60) {}

	/** Counts `count` events at `atMs`. */
	add(count: number, atMs = Date.now()): void {
		const second = Math.floor(atMs / 1000);
		this.#counts.set(second, (this.#counts.get(second) ?? 0) + count);
	}

	/** The window ending at `nowMs`: unix seconds and the count of each, oldest first; older seconds are forgotten. */
	series(nowMs = Date.now()): [number[], number[]] {
		const last = Math.floor(nowMs / 1000);
		const first = last - this.seconds + 1;
		for (const second of this.#counts.keys()) if (second < first) this.#counts.delete(second);
		const times: number[] = [];
		const counts: number[] = [];
		for (let second = first; second <= last; second++) {
			times.push(second);
			counts.push(this.#counts.get(second) ?? 0);
		}
		return [times, counts];
	}
}
