import type { WriteStamp } from "./stamps";

/** The last replace or clear: its stamp, and the seq it took. */
export interface WatermarkState {
	stamp: WriteStamp;
	seq: number;
}

/**
 * The stream's watermark (one row of its SQLite): writes stamped before the last
 * replace or clear are discarded when they arrive after it, and a resume from a seq
 * before it gets a snapshot. Read once per batch; `save` writes it back if it moved.
 */
export class Watermark {
	readonly #sql: SqlStorage;
	readonly #stored: WatermarkState;
	#state: WatermarkState;

	constructor(sql: SqlStorage) {
		this.#sql = sql;
		const row = sql.exec<{ stamp_at: number; stamp_request: string; seq: number }>("SELECT stamp_at, stamp_request, seq FROM watermark").one();
		this.#stored = { stamp: { at: row.stamp_at, requestId: row.stamp_request }, seq: row.seq };
		this.#state = this.#stored;
	}

	/** The watermark in force, including a move made in this batch. */
	current(): WatermarkState {
		return this.#state;
	}

	/** Moves it (kept in memory until `save`). */
	set(state: WatermarkState): void {
		this.#state = state;
	}

	/** Stores it, if it moved. */
	save(): void {
		if (this.#state === this.#stored) return;
		this.#sql.exec("UPDATE watermark SET stamp_at = ?, stamp_request = ?, seq = ?", this.#state.stamp.at, this.#state.stamp.requestId, this.#state.seq);
	}
}
