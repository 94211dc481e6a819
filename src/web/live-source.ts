// The live view's data source: the stream's WebSocket, opened with a fresh 5-minute ticket on
// every (re)connect so the admin token never travels in a URL.
import { type ConnectionState, StreamClient } from "../client/stream-client";
import { ApiError, api } from "./api";
import type { StreamItem } from "./types";

/** Where the live connection stands. */
export type LiveStatus = "connecting" | "live" | "reconnecting" | "offline";

/** What a live view is told, in the order the WebSocket frames bring it. */
export interface LiveHandlers {
	/** The whole stream: every item and the seq it is at. */
	onSnapshot(seq: number, items: StreamItem[]): void;
	/** The items that changed in seqs `from..to` (their last value), and the keys removed. */
	onChanges(from: number, to: number, items: StreamItem[], removed: string[]): void;
	onStatus(status: LiveStatus): void;
}

const STATUS: Record<ConnectionState, LiveStatus> = {
	connecting: "connecting",
	live: "live",
	reconnecting: "reconnecting",
	closed: "offline",
};

/** Follows a stream's items until the returned function is called. `WebSocket` is for tests. */
export function subscribe(stream: string, handlers: LiveHandlers, options: { WebSocket?: unknown } = {}): () => void {
	let stopped = false;
	const client: StreamClient = new StreamClient({
		baseUrl: location.origin,
		stream,
		WebSocket: options.WebSocket,
		token: async () => {
			try {
				const ticket = await api<{ token: string }>(`/api/admin/streams/${encodeURIComponent(stream)}/tickets`, { method: "POST" });
				return ticket.token;
			} catch (error) {
				// Wrong credentials or no such stream: asking again will not help.
				if (error instanceof ApiError && (error.status === 401 || error.status === 404)) client.close();
				throw error;
			}
		},
	});
	client.on("snapshot", ({ seq, items }) => handlers.onSnapshot(seq, items));
	client.on("change", ({ from, to, items, removed }) => handlers.onChanges(from, to, items, removed));
	client.on("status", (state) => {
		if (!stopped || state === "closed") handlers.onStatus(STATUS[state]);
	});
	handlers.onStatus("connecting");
	return () => {
		stopped = true;
		client.close();
	};
}
