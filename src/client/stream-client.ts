import { WebSocket as ReconnectingWebSocket } from "partysocket";
import { type ServerFrame, type StreamItem, parseFrame } from "./frames";

export type { StreamItem } from "./frames";

/** Where the connection stands. */
export type ConnectionState = "connecting" | "live" | "reconnecting" | "closed";

/** The close code of a socket whose stream was deleted. */
const STREAM_DELETED = 4004;

/** What a client tells its listeners. */
export interface StreamClientEvents {
	/** A complete snapshot replaced the local state. */
	snapshot: { seq: number; items: StreamItem[] };
	/** Changes were applied (all frames of one batch at once). */
	change: { from: number; to: number; items: StreamItem[]; removed: string[] };
	status: ConnectionState;
	/** A frame skipped seqs; the client reconnects with `since` to fill the gap. */
	gap: { expected: number; got: number };
	/** The server reported an error frame. */
	error: { code: string; message: string };
}

export interface StreamClientOptions {
	/** The API origin, e.g. `https://ingest.example.com` (http is turned into ws). */
	baseUrl: string;
	stream: string;
	/** A renderer token, or a function returning one (e.g. fetching a fresh ticket) for every (re)connect. */
	token: string | (() => string | Promise<string>);
	/** Resume after this seq instead of starting from a snapshot. */
	since?: number;
	/** First reconnect delay; it doubles up to `maxReconnectDelayMs`, with random jitter. */
	minReconnectDelayMs?: number;
	maxReconnectDelayMs?: number;
	/** A WebSocket implementation for runtimes without a global one. */
	WebSocket?: unknown;
}

type Listener<K extends keyof StreamClientEvents> = (event: StreamClientEvents[K]) => void;

/**
 * A live, keyed view of one stream. Applies the snapshot and every change to
 * `items`, detects gaps and reconnects (exponential backoff with jitter, through
 * partysocket) resuming with `since`, so it never silently misses a change.
 */
export class StreamClient {
	/** The stream's items by key, as of `seq`. */
	readonly items = new Map<string, StreamItem>();
	/** The last seq applied, or null before the first snapshot. */
	seq: number | null;
	state: ConnectionState = "connecting";

	readonly #socket: ReconnectingWebSocket;
	readonly #listeners = new Map<keyof StreamClientEvents, Set<(event: never) => void>>();
	#pendingSnapshot: StreamItem[] = [];
	#pendingChanges: ServerFrame[] = [];

	readonly options: StreamClientOptions;

	constructor(options: StreamClientOptions) {
		this.options = options;
		this.seq = options.since ?? null;
		const min = options.minReconnectDelayMs ?? 250;
		this.#socket = new ReconnectingWebSocket(() => this.#nextUrl(), [], {
			minReconnectionDelay: min,
			maxReconnectionDelay: options.maxReconnectDelayMs ?? 30_000,
			reconnectionDelayGrowFactor: 2,
			connectionTimeout: 10_000,
			WebSocket: options.WebSocket,
		});
		this.#socket.addEventListener("message", (event) => {
			if (typeof event.data === "string") this.#onFrame(event.data);
		});
		this.#socket.addEventListener("close", (event) => {
			// Frames of a batch or snapshot cut off by the drop: the next connection sends them anew, whole.
			this.#forgetPending();
			// 4004: the stream was deleted, and its tokens with it: no reconnect can succeed, and its items are gone.
			if (event.code === STREAM_DELETED) {
				this.items.clear();
				this.close();
				return;
			}
			if (this.state !== "closed") this.#setState("reconnecting");
		});
	}

	/** Listens to an event; returns the function that stops listening. */
	on<K extends keyof StreamClientEvents>(event: K, listener: Listener<K>): () => void {
		let set = this.#listeners.get(event);
		if (!set) {
			set = new Set();
			this.#listeners.set(event, set);
		}
		set.add(listener as (event: never) => void);
		return () => set.delete(listener as (event: never) => void);
	}

	/** Drops the connection and opens a new one, resuming from `seq`. */
	reconnect(): void {
		this.#forgetPending();
		this.#socket.reconnect();
	}

	/** Closes the connection for good. */
	close(): void {
		this.#setState("closed");
		this.#socket.close(1000, "client closed");
	}

	async #nextUrl(): Promise<string> {
		// partysocket grows the delay but adds no jitter: a random share of it spreads out clients that dropped together.
		const retries = this.#socket?.retryCount ?? 0;
		if (retries > 0) {
			const base = (this.options.minReconnectDelayMs ?? 250) * 2 ** Math.min(retries, 10);
			await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(base, this.options.maxReconnectDelayMs ?? 30_000)));
		}
		const token = typeof this.options.token === "function" ? await this.options.token() : this.options.token;
		const url = new URL(`/api/streams/${encodeURIComponent(this.options.stream)}/ws`, this.options.baseUrl);
		url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
		url.searchParams.set("token", token);
		if (this.seq !== null) url.searchParams.set("since", String(this.seq));
		return url.toString();
	}

	#forgetPending(): void {
		this.#pendingChanges = [];
		this.#pendingSnapshot = [];
	}

	#onFrame(text: string): void {
		const frame = parseFrame(text);
		if (!frame) return;
		if (frame.type === "error") this.#emit("error", { code: frame.code, message: frame.message });
		else if (frame.type === "snapshot") this.#onSnapshot(frame);
		else if (frame.type === "changes") this.#onChanges(frame);
	}

	// Every complete snapshot replaces the whole state: a replace or a clear sends one on a live socket, and the
	// keys it does not list are gone.
	#onSnapshot(frame: Extract<ServerFrame, { type: "snapshot" }>): void {
		this.#pendingSnapshot.push(...frame.items);
		if (frame.complete === false) return;
		this.items.clear();
		for (const item of this.#pendingSnapshot) this.items.set(item.key, item);
		const items = this.#pendingSnapshot;
		this.#pendingSnapshot = [];
		this.#pendingChanges = [];
		this.seq = frame.seq;
		this.#setState("live");
		this.#emit("snapshot", { seq: frame.seq, items });
	}

	#onChanges(frame: Extract<ServerFrame, { type: "changes" }>): void {
		if (this.seq === null) return;
		const expected = this.seq + 1 + this.#pendingChanges.reduce((n, f) => n + (f.type === "changes" ? f.to - f.from + 1 : 0), 0);
		if (frame.to < expected - 1 || (frame.to < frame.from && frame.to <= this.seq)) {
			this.#setState("live");
			return;
		}
		if (frame.from > expected) {
			this.#emit("gap", { expected, got: frame.from });
			this.reconnect();
			return;
		}
		this.#pendingChanges.push(frame);
		if (frame.complete === false) return;
		const frames = this.#pendingChanges as Extract<ServerFrame, { type: "changes" }>[];
		this.#pendingChanges = [];
		const items = frames.flatMap((f) => f.items);
		const removed = frames.flatMap((f) => f.removed ?? []);
		for (const item of items) this.items.set(item.key, item);
		for (const key of removed) this.items.delete(key);
		const from = frames[0]?.from ?? frame.from;
		this.seq = Math.max(this.seq, frame.to);
		this.#setState("live");
		if (items.length > 0 || removed.length > 0) this.#emit("change", { from, to: frame.to, items, removed });
	}

	#setState(state: ConnectionState): void {
		if (this.state === state) return;
		this.state = state;
		this.#emit("status", state);
	}

	#emit<K extends keyof StreamClientEvents>(event: K, payload: StreamClientEvents[K]): void {
		for (const listener of this.#listeners.get(event) ?? []) (listener as Listener<K>)(payload);
	}
}
