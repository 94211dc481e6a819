// A one-line progress bar on stderr; on a pipe (CI, tests) it prints only the final line.

const WIDTH = 30;

/** Draws `done` of `total` with a label; call `finish()` once at the end. */
export class ProgressBar {
	readonly #stream: NodeJS.WriteStream;
	#last = "";

	constructor(stream: NodeJS.WriteStream = process.stderr) {
		this.#stream = stream;
	}

	/** Redraws the bar when the terminal can take it. */
	update(fraction: number, label: string): void {
		const line = render(fraction, label);
		if (!this.#stream.isTTY || line === this.#last) return;
		this.#last = line;
		this.#stream.write(`\r${line}\x1b[K`);
	}

	/** Leaves the final state on its own line, on a terminal or not. */
	finish(fraction: number, label: string): void {
		this.#stream.write(`${this.#stream.isTTY ? "\r" : ""}${render(fraction, label)}\n`);
	}
}

function render(fraction: number, label: string): string {
	const clamped = Math.min(1, Math.max(0, fraction));
	const filled = Math.round(clamped * WIDTH);
	return `[${"#".repeat(filled)}${"-".repeat(WIDTH - filled)}] ${Math.floor(clamped * 100)
		.toString()
		.padStart(3)}% ${label}`;
}
