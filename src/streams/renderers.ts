import { log } from "../core/log";
import type { AppliedChanges } from "./item-batch";
import type { StreamRead } from "./item-reader";
import { ClientFrame, changesFrames, errorFrame, snapshotFrames } from "./frames";

/** What each socket remembers across hibernation (kept well under the 2 KB attachment limit). */
interface Attachment {
	grant: string;
	connectedAt: number;
}

const RENDERER_TAG = "renderer";

/** The frames that bring a client from nothing (or from `since`) to the current state. */
export function catchUpFrames(read: StreamRead, since: number | undefined): string[] {
	if (read.resumed && since !== undefined) return changesFrames({ from: since + 1, to: read.seq }, read.items, read.removed);
	return snapshotFrames(read.seq, read.items);
}

/**
 * The renderers connected to one stream object, on the hibernation API: sockets
 * survive the object being evicted, `ping` is answered by the runtime without
 * waking it, and nothing here keeps a timer running.
 */
export class RendererHub {
	constructor(readonly ctx: DurableObjectState) {
		this.ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
	}

	/** Accepts a socket, tagged with the grant that opened it, and sends it the catch-up frames. */
	accept(grant: string, catchUp: string[]): WebSocket {
		const pair = new WebSocketPair();
		const [client, server] = [pair[0], pair[1]];
		this.ctx.acceptWebSocket(server, [RENDERER_TAG, grant]);
		const attachment: Attachment = { grant, connectedAt: Date.now() };
		server.serializeAttachment(attachment);
		this.#sendAll(server, catchUp);
		return client;
	}

	/**
	 * Sends one applied batch to every renderer. Frames are serialised once; a send
	 * only queues bytes, so a slow client never holds up the object or the others,
	 * and a socket whose send throws is closed and dropped.
	 */
	broadcast(changes: AppliedChanges): void {
		if (changes.to < changes.from) return;
		const items = changes.items.map((item) => ({ text: JSON.stringify(item), seq: item.seq }));
		const frames = changesFrames(changes, items, changes.removed);
		const sockets = this.ctx.getWebSockets(RENDERER_TAG);
		let dropped = 0;
		for (const socket of sockets) if (!this.#sendAll(socket, frames)) dropped++;
		if (dropped > 0) log("warn", "renderers dropped on send failure", { dropped, sockets: sockets.length });
	}

	/** Answers a client frame: `resync` sends catch-up frames again, anything unknown gets an error frame. */
	onMessage(socket: WebSocket, message: string | ArrayBuffer, read: (since: number | undefined) => StreamRead): void {
		let parsed: ReturnType<typeof ClientFrame.safeParse> | undefined;
		if (typeof message === "string") {
			try {
				parsed = ClientFrame.safeParse(JSON.parse(message));
			} catch {
				parsed = undefined;
			}
		}
		if (!parsed?.success) {
			this.#sendAll(socket, [errorFrame("UNKNOWN_FRAME", 'Send "ping", {"type":"ping"} or {"type":"resync","since":N}.')]);
			return;
		}
		if (parsed.data.type === "ping") this.#sendAll(socket, ['{"type":"pong"}']);
		else this.#sendAll(socket, catchUpFrames(read(parsed.data.since), parsed.data.since));
	}

	/** Closes the sockets a grant opened (its token was revoked); returns how many. */
	closeGrant(grant: string, reason: string): number {
		const sockets = this.ctx.getWebSockets(grant);
		for (const socket of sockets) this.#close(socket, 4001, reason);
		return sockets.length;
	}

	/** How many renderers are connected. */
	count(): number {
		return this.ctx.getWebSockets(RENDERER_TAG).length;
	}

	#sendAll(socket: WebSocket, frames: string[]): boolean {
		try {
			for (const frame of frames) socket.send(frame);
			return true;
		} catch {
			this.#close(socket, 1011, "send failed");
			return false;
		}
	}

	#close(socket: WebSocket, code: number, reason: string): void {
		try {
			socket.close(code, reason);
		} catch {
			// Already closing or closed: nothing left to do.
		}
	}
}
