import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { StreamObject } from "../../src/stream/stream-object";
import { streamStub } from "../../src/stream/stub";
import { ADMIN_TOKEN, admin, call, connectorWithKey, data, eventually, failure, ingest, snapshot } from "../helpers";
import { connect, rendererToken } from "../renderer-client";

describe("GET /api/streams/:stream/ws", () => {
	it("refuses a missing, wrong-stream or revoked token before the object is reached, and plain GETs with 426", async () => {
		const a = await connectorWithKey();
		const b = await connectorWithKey();
		const token = await rendererToken(a.stream);
		const open = (stream: string, query: string, headers: Record<string, string> = { Upgrade: "websocket" }) =>
			call(`/api/streams/${stream}/ws${query}`, { headers });
		await failure(await open(a.stream, ""), 401, "UNAUTHORIZED");
		await failure(await open(a.stream, `?token=${ADMIN_TOKEN}`), 401, "UNAUTHORIZED");
		await failure(await open(a.stream, `?token=${a.key}`), 401, "UNAUTHORIZED");
		await failure(await open(b.stream, `?token=${token.token}`), 404, "STREAM_NOT_FOUND");
		const plain = await open(a.stream, `?token=${token.token}`, {});
		await failure(plain, 426, "UPGRADE_REQUIRED");
		expect(plain.headers.get("Upgrade")).toBe("websocket");
		await data(await admin(`/streams/${a.stream}/tokens/${token.id}`, { method: "DELETE" }));
		await failure(await open(a.stream, `?token=${token.token}`), 401, "UNAUTHORIZED");
	});

	it("sends a snapshot first, then one coalesced changes frame per applied batch", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		await data(await ingest(c.key, [{ id: "a", v: 1 }]), 202);
		await eventually(async () => expect((await snapshot(c.stream)).seq).toBe(1));
		const renderer = await connect(c.stream, `token=${(await rendererToken(c.stream)).token}`);
		const [first] = await renderer.next();
		expect(first).toMatchObject({ type: "snapshot", seq: 1, complete: true, items: [{ key: "a", value: { id: "a", v: 1 }, seq: 1 }] });

		await data(await ingest(c.key, [{ id: "b", v: 1 }, { id: "a", v: 2 }, { id: "b", v: 3 }]), 202);
		const [changes] = await renderer.next();
		expect(changes).toMatchObject({ type: "changes", from: 2, to: 4, complete: true, removed: [] });
		expect(changes?.items?.map((item) => [item.key, item.value.v, item.seq])).toEqual([
			["a", 2, 3],
			["b", 3, 4],
		]);
		renderer.socket.close(1000, "done");
	});

	it("resumes with since inside the window: exactly the missed changes, no snapshot", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		const token = (await rendererToken(c.stream)).token;
		await data(await ingest(c.key, [{ id: "a" }, { id: "b" }]), 202);
		await eventually(async () => expect((await snapshot(c.stream)).seq).toBe(2));
		await data(await ingest(c.key, [{ id: "c" }]), 202);
		await eventually(async () => expect((await snapshot(c.stream)).seq).toBe(3));

		const resumed = await connect(c.stream, `token=${token}&since=2`);
		const [frame] = await resumed.next();
		expect(frame).toMatchObject({ type: "changes", from: 3, to: 3, complete: true, removed: [] });
		expect(frame?.items?.map((item) => item.key)).toEqual(["c"]);

		const upToDate = await connect(c.stream, `token=${token}&since=3`);
		expect((await upToDate.next())[0]).toMatchObject({ type: "changes", from: 4, to: 3, items: [] });
	});

	it("sends a fresh snapshot when since is outside the retained window", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		await data(await ingest(c.key, [{ id: "a" }, { id: "b" }]), 202);
		await eventually(async () => expect((await snapshot(c.stream)).seq).toBe(2));
		await runInDurableObject(streamStub(env, c.stream), (_instance: StreamObject, state) => {
			state.storage.sql.exec("DELETE FROM changelog");
		});
		const renderer = await connect(c.stream, `token=${(await rendererToken(c.stream)).token}&since=1`);
		expect((await renderer.next())[0]).toMatchObject({ type: "snapshot", seq: 2 });
	});

	it("opens with a ticket from the admin API, never with the admin token in the URL", async () => {
		const c = await connectorWithKey();
		const ticket = await data<{ token: string; expires_at: string }>(await admin(`/streams/${c.stream}/tickets`, { method: "POST" }), 201);
		expect(ticket.token).toMatch(/^rk_tmp_/);
		expect(Date.parse(ticket.expires_at) - Date.now()).toBeGreaterThan(4 * 60 * 1000);
		expect(Date.parse(ticket.expires_at) - Date.now()).toBeLessThanOrEqual(5 * 60 * 1000);
		const renderer = await connect(c.stream, `token=${encodeURIComponent(ticket.token)}`);
		expect((await renderer.next())[0]?.type).toBe("snapshot");
		const other = await connectorWithKey();
		await failure(
			await call(`/api/streams/${other.stream}/ws?token=${encodeURIComponent(ticket.token)}`, { headers: { Upgrade: "websocket" } }),
			404,
			"STREAM_NOT_FOUND",
		);
		const forged = `${ticket.token.slice(0, -2)}AA`;
		await failure(
			await call(`/api/streams/${c.stream}/ws?token=${encodeURIComponent(forged)}`, { headers: { Upgrade: "websocket" } }),
			401,
			"UNAUTHORIZED",
		);
	});

	it("answers ping with pong and unknown frames with an error frame, and stays open", async () => {
		const c = await connectorWithKey();
		const renderer = await connect(c.stream, `token=${(await rendererToken(c.stream)).token}`);
		await renderer.next();
		renderer.socket.send("ping");
		await eventually(async () => expect(renderer.texts).toContain("pong"));
		renderer.socket.send("{not json");
		renderer.socket.send(JSON.stringify({ type: "subscribe" }));
		const errors = await renderer.next(2);
		expect(errors.map((frame) => [frame.type, frame.code])).toEqual([
			["error", "UNKNOWN_FRAME"],
			["error", "UNKNOWN_FRAME"],
		]);
		renderer.socket.send(JSON.stringify({ type: "resync" }));
		expect((await renderer.next())[0]?.type).toBe("snapshot");
		expect(renderer.closed).toBeNull();
	});

	it("keeps broadcasting to the others when a renderer is gone", async () => {
		const c = await connectorWithKey();
		const token = (await rendererToken(c.stream)).token;
		const [gone, stays] = [await connect(c.stream, `token=${token}`), await connect(c.stream, `token=${token}`)];
		await gone.next();
		await stays.next();
		gone.socket.close(1000, "bye");
		await data(await ingest(c.key, { n: 1 }), 202);
		expect((await stays.next())[0]).toMatchObject({ type: "changes", from: 1, to: 1 });
	});

	it("survives eviction: hibernated sockets still get changes and seq continues", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		const renderer = await connect(c.stream, `token=${(await rendererToken(c.stream)).token}`);
		await renderer.next();
		await data(await ingest(c.key, { id: "a" }), 202);
		expect((await renderer.next())[0]).toMatchObject({ from: 1, to: 1 });
		const stub = streamStub(env, c.stream);
		expect(await stub.rendererCount()).toBe(1);
		await evictDurableObject(stub);
		await data(await ingest(c.key, { id: "b" }), 202);
		expect((await renderer.next())[0]).toMatchObject({ type: "changes", from: 2, to: 2 });
		expect(await stub.rendererCount()).toBe(1);
		renderer.socket.send("ping");
		await eventually(async () => expect(renderer.texts).toContain("pong"));
	});

	it("closes the sockets of a revoked renderer token", async () => {
		const c = await connectorWithKey();
		const token = await rendererToken(c.stream);
		const renderer = await connect(c.stream, `token=${token.token}`);
		await renderer.next();
		await data(await admin(`/streams/${c.stream}/tokens/${token.id}`, { method: "DELETE" }));
		await eventually(async () => expect(renderer.closed?.code).toBe(4001));
	});

	it("splits a large snapshot into frames well under 1 MiB, all but the last marked incomplete", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		const items = Array.from({ length: 4000 }, (_, i) => ({ id: `k${i}`, pad: "x".repeat(200) }));
		await data(await ingest(c.key, items), 202);
		await eventually(async () => expect((await snapshot(c.stream)).seq).toBe(4000), 20_000);
		const renderer = await connect(c.stream, `token=${(await rendererToken(c.stream)).token}`);
		await eventually(async () => expect(renderer.frames.at(-1)?.complete).toBe(true));
		const frames = renderer.frames;
		expect(frames.length).toBeGreaterThan(1);
		expect(frames.every((frame) => frame.type === "snapshot" && frame.seq === 4000)).toBe(true);
		expect(frames.slice(0, -1).every((frame) => frame.complete === false)).toBe(true);
		expect(Math.max(...renderer.texts.map((text) => new TextEncoder().encode(text).byteLength))).toBeLessThan(512 * 1024);
		expect(frames.flatMap((frame) => frame.items ?? []).map((item) => item.key)).toEqual(items.map((item) => item.id));
	});
});
