import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { TICKET_TTL_MS, issueTicket } from "../../src/services/auth/tickets";
import { CLOSE } from "../../src/stream/renderers";
import type { StreamObject } from "../../src/stream/stream-object";
import { streamStub } from "../../src/stream/stub";
import { ADMIN_TOKEN, admin, connectorWithKey, data, eventually, ingest, snapshot } from "../helpers";
import { Renderer, connect, rendererToken } from "../renderer-client";

/**
 * Opens a socket on the stream's object directly, as the Worker does once it has
 * checked the credentials: how an isolate that still trusts a cached token opens one.
 */
async function openOnObject(stream: string, grant: string, expires?: number): Promise<Renderer> {
	const url = new URL("https://stream.internal/ws");
	url.searchParams.set("grant", grant);
	if (expires !== undefined) url.searchParams.set("expires", String(expires));
	const response = await streamStub(env, stream).fetch(url, { headers: { Upgrade: "websocket" } });
	expect(response.status).toBe(101);
	if (!response.webSocket) throw new Error("no socket");
	return new Renderer(response.webSocket);
}

const sleepUntil = async (at: number) => {
	while (Date.now() <= at) await new Promise((resolve) => setTimeout(resolve, Math.max(10, at - Date.now() + 5)));
};

describe("renderer sockets live no longer than their grant", () => {
	it("closes a ticket's socket with 4003 when the ticket expires, from the object's alarm", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		// A ticket issued almost five minutes ago: it still opens the socket, and expires a moment later.
		const ticket = await issueTicket(ADMIN_TOKEN, c.stream, Date.now() - TICKET_TTL_MS + 1500);
		const renderer = await connect(c.stream, `token=${encodeURIComponent(ticket.token)}`);
		expect((await renderer.next())[0]?.type).toBe("snapshot");
		const stub = streamStub(env, c.stream);
		const alarm = await runInDurableObject(stub, (_instance: StreamObject, state) => state.storage.getAlarm());
		expect(alarm).not.toBeNull();
		expect(alarm).toBeLessThanOrEqual(ticket.expiresAt);

		await sleepUntil(ticket.expiresAt);
		await runDurableObjectAlarm(stub);
		await eventually(async () => expect(renderer.closed).toEqual(CLOSE.expired));
		expect(await stub.rendererCount()).toBe(0);
	});

	it("keeps a socket whose ticket has not expired, and sockets of renderer tokens, open through alarms", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		const later = await openOnObject(c.stream, "ticket", Date.now() + 60 * 60 * 1000);
		const token = await connect(c.stream, `token=${(await rendererToken(c.stream)).token}`);
		const soon = await openOnObject(c.stream, "ticket", Date.now() + 300);
		for (const renderer of [later, token, soon]) await renderer.next();
		await sleepUntil(Date.now() + 300);
		await runDurableObjectAlarm(streamStub(env, c.stream));
		await eventually(async () => expect(soon.closed).toEqual(CLOSE.expired));
		// The others still get changes.
		await data(await ingest(c.key, { id: "a" }), 202);
		for (const renderer of [later, token]) expect((await renderer.next())[0]).toMatchObject({ type: "changes", from: 1, to: 1 });
		expect(later.closed).toBeNull();
		expect(token.closed).toBeNull();
		// The next alarm is set for the remaining ticket.
		const alarm = await runInDurableObject(streamStub(env, c.stream), (_instance: StreamObject, state) => state.storage.getAlarm());
		expect(alarm).not.toBeNull();
	});

	it("closes at once a socket opened with an already expired grant, without a snapshot", async () => {
		const c = await connectorWithKey();
		const renderer = await openOnObject(c.stream, "ticket", Date.now() - 1);
		await eventually(async () => expect(renderer.closed).toEqual(CLOSE.expired));
		expect(renderer.frames).toEqual([]);
	});

	it("refuses sockets opened with a revoked token after the revocation, even by isolates that still trust it", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		const revoked = await rendererToken(c.stream);
		const kept = await rendererToken(c.stream);
		await data(await admin(`/streams/${c.stream}/tokens/${revoked.id}`, { method: "DELETE" }));

		const late = await openOnObject(c.stream, `token:${revoked.id}`);
		await eventually(async () => expect(late.closed).toEqual(CLOSE.revoked));
		expect(late.frames).toEqual([]);
		// Remembered in the object's storage, not its memory.
		await evictDurableObject(streamStub(env, c.stream));
		const afterRestart = await openOnObject(c.stream, `token:${revoked.id}`);
		await eventually(async () => expect(afterRestart.closed).toEqual(CLOSE.revoked));

		const other = await openOnObject(c.stream, `token:${kept.id}`);
		expect((await other.next())[0]?.type).toBe("snapshot");
		expect(other.closed).toBeNull();
	});
});

describe("resync", () => {
	it("answers a resync with a fresh catch-up, and one asked too soon with RATE_LIMITED, keeping the socket open", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		await data(await ingest(c.key, [{ id: "a" }, { id: "b" }]), 202);
		await eventually(async () => expect((await snapshot(c.stream)).seq).toBe(2));
		const renderer = await connect(c.stream, `token=${(await rendererToken(c.stream)).token}`);
		await renderer.snapshot();
		renderer.socket.send(JSON.stringify({ type: "resync", since: 1 }));
		expect((await renderer.next())[0]).toMatchObject({ type: "changes", from: 2, to: 2 });

		// The last resync answered "now" from the socket's point of view, whatever the test machine's pace.
		await runInDurableObject(streamStub(env, c.stream), (_instance: StreamObject, state) => {
			for (const socket of state.getWebSockets("renderer")) {
				socket.serializeAttachment({ ...(socket.deserializeAttachment() as object), resyncAt: Date.now() + 60_000 });
			}
		});
		renderer.socket.send(JSON.stringify({ type: "resync" }));
		expect((await renderer.next())[0]).toMatchObject({ type: "error", code: "RATE_LIMITED" });
		renderer.socket.send("ping");
		await eventually(async () => expect(renderer.texts).toContain("pong"));
		expect(renderer.closed).toBeNull();
	});
});
