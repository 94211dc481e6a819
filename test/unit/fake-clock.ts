/** A clock that moves only when a test says so; `sleep` resolves once the time it waits for is reached (at once for 0). */
export class FakeClock {
	#time: number;
	#sleepers: { due: number; wake: () => void }[] = [];

	constructor(start: number) {
		this.#time = start;
	}

	now = (): number => this.#time;

	sleep = (ms: number): Promise<void> =>
		new Promise((wake) => {
			if (ms <= 0) wake();
			else this.#sleepers.push({ due: this.#time + ms, wake });
		});

	/** Moves the time on and wakes every sleeper that is due, letting each run until it awaits again. */
	async advance(ms: number): Promise<void> {
		this.#time += ms;
		const due = this.#sleepers.filter((sleeper) => sleeper.due <= this.#time);
		this.#sleepers = this.#sleepers.filter((sleeper) => sleeper.due > this.#time);
		for (const sleeper of due) sleeper.wake();
		await settle();
	}
}

/** Lets pending promise callbacks run (a macrotask turn, so chains of awaits finish). */
export function settle(): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, 0));
}
