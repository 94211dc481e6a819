import { expect } from "vitest";
import { admin, call, data, eventually } from "./helpers";

/** A frame as tests read it. */
export interface Frame {
	type: string;
	seq?: number;
	from?: number;
	to?: number;
	complete?: boolean;
	items?: { key: string; value: Record<string, unknown>; seq: number }[];
	removed?: string[];
	code?: string;
}

/** A connected test client that collects frames. */
export class Renderer {
	readonly frames: Frame[] = [];
	readonly texts: string[] = [];
	closed: { code: number; reason: string } | null = null;

	constructor(readonly socket: WebSocket) {
		socket.addEventListener("message", (event) => {
			const text = typeof event.data === "string" ? event.data : new TextDecoder().decode(event.data as ArrayBuffer);
			this.texts.push(text);
			if (text.startsWith("{")) this.frames.push(JSON.parse(text) as Frame);
		});
		socket.addEventListener("close", (event) => {
			this.closed = { code: event.code, reason: event.reason };
		});
		socket.accept();
	}

	async next(count = 1): Promise<Frame[]> {
		await eventually(async () => expect(this.frames.length).toBeGreaterThanOrEqual(count), 5_000);
		return this.frames.splice(0, count);
	}

	/** Waits for a whole snapshot (up to its `complete` frame) and returns its frames. */
	async snapshot(): Promise<Frame[]> {
		await eventually(async () => expect(this.frames.some((frame) => frame.type === "snapshot" && frame.complete)).toBe(true), 20_000);
		const end = this.frames.findIndex((frame) => frame.type === "snapshot" && frame.complete);
		return this.frames.splice(0, end + 1);
	}
}

/** Opens a socket through the Worker; fails unless it answers 101. */
export async function connect(stream: string, query: string): Promise<Renderer> {
	const response = await call(`/api/streams/${stream}/ws?${query}`, { headers: { Upgrade: "websocket" } });
	if (response.status !== 101) throw new Error(`expected 101, got ${response.status}: ${await response.text()}`);
	if (!response.webSocket) throw new Error("no socket");
	return new Renderer(response.webSocket);
}

/** Creates a renderer token for a stream. */
export async function rendererToken(stream: string): Promise<{ id: string; token: string }> {
	return data(await admin(`/streams/${stream}/tokens`, { method: "POST" }), 201);
}
