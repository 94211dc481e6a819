import { z } from "zod";
import { log } from "../model/log";
import type { AppliedChanges } from "./item-batch";
import type { StreamRead } from "./item-reader";
import { ClientFrame, changesFrames, errorFrame, snapshotFrames } from "./frames";
import { RevokedGrants } from "./revoked-grants";

/** Close codes renderers see (README, "Renderers"). */
export const CLOSE = {
	revoked: { code: 4001, reason: "renderer token revoked" },
	expired: { code: 4003, reason: "ticket expired" },
	deleted: { code: 4004, reason: "stream deleted" },
} as const;

/** A socket may ask for a resync at most this often; one asked sooner gets a RATE_LIMITED error frame. */
export const RESYNC_INTERVAL_MS = 1000;

/**
 * What each socket remembers across hibernation (well under the 2 KB attachment limit).
 * Parsed on read: sockets accepted by an older version lack the later fields.
 */
const Attachment = z.object({
	grant: z.string(),
	connectedAt: z.number(),
	/** When the grant stops opening sockets (a ticket's expiry); null for tokens, which last until revoked. */
	expiresAt: z.number().nullable().default(null),
	/** When the socket's last resync was answered. */
	resyncAt: z.number().nullable().default(null),
});
type Attachment = z.infer<typeof Attachment>;

/** The grant a socket is opened with. */
export interface SocketGrant {
	grant: string;
	expiresAt: number | null;
}

const RENDERER_TAG = "renderer";
// Sockets whose grant expires carry this tag too, so the alarm looks only at them.
const EXPIRING_TAG = "expiring";

/** The frames that bring a client from nothing (or from `since`) to the current state, built as they are pulled. */
export function catchUpFrames(read: StreamRead, since: number | undefined): Iterable<string> {
	if (read.resumed && since !== undefined) return changesFrames({ from: since + 1, to: read.seq }, read.items, read.removed);
	return snapshotFrames(read.seq, read.items);
}

/**
 * The renderers connected to one stream object, on the hibernation API: sockets
 * survive the object being evicted, `ping` is answered by the runtime without
 * waking it, and nothing here keeps a timer running (the object's alarm closes
 * sockets whose grant expired).
 */
export class RendererHub {
	readonly #revoked: RevokedGrants;
	/** The earliest expiry among open sockets (null: none), once known since the object woke up. */
	#nextExpiry: number | null | undefined;

	constructor(readonly ctx: DurableObjectState) {
		this.ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
		this.#revoked = new RevokedGrants(ctx.storage.sql);
	}

	/**
	 * Accepts a socket, tagged with its grant, and sends it the catch-up frames, each as
	 * soon as it is built. A revoked or expired grant gets a socket closed at once.
	 */
	open(grant: SocketGrant, catchUp: () => Iterable<string>, now: number): WebSocket {
		if (this.#revoked.has(grant.grant)) return refused(CLOSE.revoked);
		if (grant.expiresAt !== null && grant.expiresAt <= now) return refused(CLOSE.expired);
		const pair = new WebSocketPair();
		const [client, server] = [pair[0], pair[1]];
		const tags = grant.expiresAt === null ? [RENDERER_TAG, grant.grant] : [RENDERER_TAG, grant.grant, EXPIRING_TAG];
		this.ctx.acceptWebSocket(server, tags);
		const attachment: Attachment = { grant: grant.grant, connectedAt: now, expiresAt: grant.expiresAt, resyncAt: null };
		server.serializeAttachment(attachment);
		if (grant.expiresAt !== null && this.#nextExpiry !== undefined) {
			this.#nextExpiry = Math.min(this.#nextExpiry ?? grant.expiresAt, grant.expiresAt);
		}
		this.#sendAll(server, catchUp());
		return client;
	}

	/**
	 * Sends one applied batch to every renderer. Frames are serialised once; a send
	 * only queues bytes, so a slow client never holds up the object or the others,
	 * and a socket whose send throws is closed and dropped.
	 */
	broadcast(changes: AppliedChanges, snapshot: () => StreamRead): void {
		if (changes.to < changes.from) return;
		const frames = changes.reset ? resetFrames(snapshot()) : this.#changeFrames(changes);
		const sockets = this.ctx.getWebSockets(RENDERER_TAG);
		let dropped = 0;
		for (const socket of sockets) if (!this.#sendAll(socket, frames)) dropped++;
		if (dropped > 0) log("warn", "renderers dropped on send failure", { dropped, sockets: sockets.length });
	}

	/**
	 * Answers a client frame: `resync` sends catch-up frames again (at most once per
	 * RESYNC_INTERVAL_MS per socket: each one reads the whole stream), anything unknown
	 * gets an error frame. The socket stays open either way.
	 */
	onMessage(socket: WebSocket, message: string | ArrayBuffer, read: (since: number | undefined) => StreamRead, now: number): void {
		const frame = parseClientFrame(message);
		if (!frame) {
			this.#sendAll(socket, [errorFrame("UNKNOWN_FRAME", 'Send "ping", {"type":"ping"} or {"type":"resync","since":N}.')]);
			return;
		}
		if (frame.type === "ping") {
			this.#sendAll(socket, ['{"type":"pong"}']);
			return;
		}
		const attachment = Attachment.safeParse(socket.deserializeAttachment());
		if (attachment.success) {
			if (!resyncAllowed(attachment.data.resyncAt, now)) {
				this.#sendAll(socket, [errorFrame("RATE_LIMITED", `At most one resync per ${RESYNC_INTERVAL_MS / 1000} s per socket.`)]);
				return;
			}
			socket.serializeAttachment({ ...attachment.data, resyncAt: now } satisfies Attachment);
		}
		this.#sendAll(socket, catchUpFrames(read(frame.since), frame.since));
	}

	/** Revokes a grant: its sockets close now, and sockets opened with it later are refused. Returns how many closed. */
	revoke(grant: string, now: number): number {
		this.#revoked.add(grant, now);
		const sockets = this.ctx.getWebSockets(grant);
		for (const socket of sockets) closeQuietly(socket, CLOSE.revoked);
		return sockets.length;
	}

	/** Closes the sockets whose grant expired by `now`; returns when the next one expires (null: none). */
	closeExpired(now: number): number | null {
		if (this.#nextExpiry !== undefined && (this.#nextExpiry === null || this.#nextExpiry > now)) return this.#nextExpiry;
		let next: number | null = null;
		for (const socket of this.ctx.getWebSockets(EXPIRING_TAG)) {
			const attachment = Attachment.safeParse(socket.deserializeAttachment());
			const expiresAt = attachment.success ? attachment.data.expiresAt : null;
			if (expiresAt === null) continue;
			if (expiresAt <= now) closeQuietly(socket, CLOSE.expired);
			else next = Math.min(next ?? expiresAt, expiresAt);
		}
		this.#nextExpiry = next;
		return next;
	}

	/** Closes every renderer's socket (the stream was deleted). */
	closeAll(close: { code: number; reason: string }): void {
		for (const socket of this.ctx.getWebSockets(RENDERER_TAG)) closeQuietly(socket, close);
	}

	/** How many renderers are connected. */
	count(): number {
		return this.ctx.getWebSockets(RENDERER_TAG).length;
	}

	#changeFrames(changes: AppliedChanges): string[] {
		const items = changes.items.map((item) => ({ text: JSON.stringify(item), seq: item.seq }));
		return [...changesFrames(changes, items, changes.removed)];
	}

	#sendAll(socket: WebSocket, frames: Iterable<string>): boolean {
		try {
			for (const frame of frames) socket.send(frame);
			return true;
		} catch {
			closeQuietly(socket, { code: 1011, reason: "send failed" });
			return false;
		}
	}
}

/**
 * A replace or clear: every renderer replaces its state with a fresh snapshot. Built once
 * for all sockets (the stream is within MAX_STREAM_BYTES), not read again per socket.
 */
function resetFrames(read: StreamRead): string[] {
	return [...snapshotFrames(read.seq, read.items)];
}

/** Whether a resync asked for at `now` is answered, the last one having been answered at `lastAt`. */
export function resyncAllowed(lastAt: number | null, now: number): boolean {
	return lastAt === null || now - lastAt >= RESYNC_INTERVAL_MS;
}

function parseClientFrame(message: string | ArrayBuffer): ClientFrame | null {
	if (typeof message !== "string") return null;
	try {
		const parsed = ClientFrame.safeParse(JSON.parse(message));
		return parsed.success ? parsed.data : null;
	} catch {
		return null;
	}
}

/** A socket that closes as soon as it opens, telling the client why. */
function refused(close: { code: number; reason: string }): WebSocket {
	const pair = new WebSocketPair();
	pair[1].accept();
	pair[1].close(close.code, close.reason);
	return pair[0];
}

function closeQuietly(socket: WebSocket, close: { code: number; reason: string }): void {
	try {
		socket.close(close.code, close.reason);
	} catch {
		// Already closing or closed: nothing left to do.
	}
}
