// The live view's data source. For now it polls the stream's HTTP snapshot with `since`;
// the WebSocket client of issue #3 will take its place behind the same `subscribe`.
import { ApiError, api } from "./api";
import type { Snapshot, StreamItem } from "./types";

/** Where the live connection stands. */
export type LiveStatus = "connecting" | "live" | "reconnecting" | "offline";

/** What a live view is told, in the order of the WebSocket frames it will later come from. */
export interface LiveHandlers {
	/** The whole stream: every item and the seq it is at. */
	onSnapshot(seq: number, items: StreamItem[]): void;
	/** The items that changed in seqs `from..to` (their last value), and the keys removed. */
	onChanges(from: number, to: number, items: StreamItem[], removed: string[]): void;
	onStatus(status: LiveStatus): void;
}

const POLL_MS = 1000;
const MAX_BACKOFF_MS = 10_000;

/** Follows a stream's items until the returned function is called. */
export function subscribe(stream: string, handlers: LiveHandlers): () => void {
	const abort = new AbortController();
	let timer: ReturnType<typeof setTimeout> | undefined;
	let seq: number | null = null;
	let failures = 0;
	const path = `/api/streams/${encodeURIComponent(stream)}/items`;

	const report = (status: LiveStatus) => {
		if (!abort.signal.aborted) handlers.onStatus(status);
	};

	async function poll(): Promise<void> {
		try {
			const snapshot = await api<Snapshot>(seq === null ? path : `${path}?since=${seq}`, { signal: abort.signal });
			if (abort.signal.aborted) return;
			if (seq === null || snapshot.resumed === false || snapshot.seq < seq) {
				// First answer, changes no longer retained since our seq, or a stream whose storage was reset: start over.
				seq = snapshot.seq;
				handlers.onSnapshot(snapshot.seq, snapshot.items);
			} else if (snapshot.seq > seq) {
				const from = seq + 1;
				seq = snapshot.seq;
				handlers.onChanges(from, snapshot.seq, snapshot.items, snapshot.removed ?? []);
			}
			failures = 0;
			report("live");
			timer = setTimeout(poll, POLL_MS);
		} catch (error) {
			if (abort.signal.aborted) return;
			if (error instanceof ApiError && (error.status === 401 || error.status === 404)) {
				// Wrong credentials or no such stream: asking again will not help.
				report("offline");
				return;
			}
			failures += 1;
			report(navigator.onLine ? "reconnecting" : "offline");
			timer = setTimeout(poll, Math.min(MAX_BACKOFF_MS, POLL_MS * 2 ** failures));
		}
	}

	report("connecting");
	void poll();
	return () => {
		abort.abort();
		clearTimeout(timer);
	};
}
