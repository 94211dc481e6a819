// A WebSocket that times the arrival of frames carrying markers: the benchmarks' renderer (ours) and the peer's
// connection alike, so both sides are received by the same code.

export interface MarkerSocket {
	ws: WebSocket;
	/** Resolves with performance.now() when a frame mentioning `marker` arrives. */
	waitFor(marker: string): Promise<number>;
	/** The text of the last frame a waiter was resolved by. */
	lastFrame(): string;
	close(): void;
}

/** The socket URL of one of our streams for a renderer token. */
export const streamSocketUrl = (url: string, stream: string, token: string) => `${url.replace("http", "ws")}/api/streams/${stream}/ws?token=${token}`;

/** Opens a socket and waits for its first frame (our snapshot; the peer's "connected"). */
export async function openMarkerSocket(socketUrl: string): Promise<MarkerSocket> {
	const ws = new WebSocket(socketUrl);
	const waiters = new Map<string, (at: number) => void>();
	let last = "";
	ws.addEventListener("message", (event) => {
		// A socket nobody waits on does not decode its frames (the same on both sides of a comparison).
		if (waiters.size === 0) return;
		const at = performance.now();
		const text = String(event.data);
		for (const [marker, resolve] of waiters) {
			if (text.includes(marker)) {
				last = text;
				waiters.delete(marker);
				resolve(at);
			}
		}
	});
	await new Promise<void>((resolve, reject) => {
		ws.addEventListener("message", () => resolve(), { once: true });
		ws.addEventListener("error", () => reject(new Error(`socket error on ${socketUrl.replace(/token=[^&]+/, "token=…")}`)), { once: true });
	});
	return { ws, waitFor: (marker) => new Promise((resolve) => waiters.set(marker, resolve)), lastFrame: () => last, close: () => ws.close() };
}
