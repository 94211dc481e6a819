import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
	ADMIN_TOKEN,
	admin,
	call,
	connectorWithKey,
	data,
	eventually,
	failure,
	flushedLogs,
	freshStream,
	ingest,
	snapshot,
} from "../helpers";
import { connect, rendererToken } from "../renderer-client";

interface Stream {
	name: string;
	created_at: string;
	connector_count: number;
	schema: Record<string, unknown> | null;
}

interface StreamDetail extends Stream {
	item_count: number;
	seq: number;
	last_write_at: string | null;
}

const detail = async (stream: string) => data<StreamDetail>(await admin(`/streams/${stream}`));

/** Ingests and waits until the stream has applied it. */
async function ingestApplied(key: string, stream: string, items: unknown[], seq: number): Promise<void> {
	await data(await ingest(key, items), 202);
	await eventually(async () => expect((await snapshot(stream)).seq).toBe(seq));
}

async function rowCount(sql: string, ...values: string[]): Promise<number> {
	const row = await env.DB.prepare(sql).bind(...values).first<{ n: number }>();
	return row?.n ?? 0;
}

describe("admin stream routes need the admin token", () => {
	it.each([
		["GET", "/api/admin/streams"],
		["GET", "/api/admin/streams/sales"],
		["DELETE", "/api/admin/streams/sales"],
		["DELETE", "/api/admin/streams/sales/items"],
		["DELETE", "/api/admin/streams/sales/items/North"],
		["DELETE", "/api/admin/connectors/con_x"],
	])("%s %s", async (method, path) => {
		await failure(await call(path, { method }), 401, "UNAUTHORIZED");
		await failure(await call(path, { method, headers: { Authorization: "Bearer not-the-token" } }), 401, "UNAUTHORIZED");
	});
});

describe("GET /api/admin/streams and /streams/:stream", () => {
	it("lists every stream with its connector count, and shows one with its item count, seq and last write", async () => {
		const a = await connectorWithKey({ item_key: "id" });
		await connectorWithKey({ stream: a.stream });
		const b = await connectorWithKey();

		const list = await data<Stream[]>(await admin("/streams"));
		const names = list.map((stream) => stream.name);
		expect(names).toEqual([...names].sort());
		const first = list.find((stream) => stream.name === a.stream);
		expect(first).toMatchObject({ name: a.stream, connector_count: 2, schema: null });
		expect(Date.parse(first?.created_at ?? "")).not.toBeNaN();
		expect(list.find((stream) => stream.name === b.stream)).toMatchObject({ connector_count: 1 });

		expect(await detail(a.stream)).toEqual({ ...first, item_count: 0, seq: 0, last_write_at: null });
		const before = Date.now();
		await ingestApplied(a.key, a.stream, [{ id: "x" }, { id: "y" }], 2);
		await ingestApplied(a.key, a.stream, [{ id: "x", v: 2 }], 3);
		const written = await detail(a.stream);
		expect(written).toMatchObject({ name: a.stream, connector_count: 2, item_count: 2, seq: 3 });
		// The last write's time: after this test sent it, and not in the future.
		expect(Date.parse(written.last_write_at ?? "")).toBeGreaterThanOrEqual(before - 1);
		expect(Date.parse(written.last_write_at ?? "")).toBeLessThanOrEqual(Date.now());
	});

	it("answers 404 STREAM_NOT_FOUND for a stream no connector created", async () => {
		await failure(await admin(`/streams/${freshStream()}`), 404, "STREAM_NOT_FOUND");
		await failure(await admin("/streams/Not_A_Name"), 404, "STREAM_NOT_FOUND");
	});
});

describe("DELETE /api/admin/connectors/:id", () => {
	it("refuses its keys at once, deletes its logs and keys, and keeps its stream and items", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		const other = await connectorWithKey({ stream: c.stream, item_key: "id" });
		await ingestApplied(c.key, c.stream, [{ id: "a" }], 1);
		expect((await flushedLogs(c)).map((entry) => entry.status)).toEqual(["processed"]);

		const deleted = await data<{ id: string; stream: string }>(await admin(`/connectors/${c.id}`, { method: "DELETE" }));
		expect(deleted).toMatchObject({ id: c.id, stream: c.stream });
		// The key was cached by the ingest above; this isolate forgets it with the connector.
		await failure(await ingest(c.key, [{ id: "b" }]), 401, "UNAUTHORIZED");
		await failure(await admin(`/connectors/${c.id}`), 404, "CONNECTOR_NOT_FOUND");
		await failure(await admin(`/connectors/${c.id}`, { method: "DELETE" }), 404, "CONNECTOR_NOT_FOUND");
		expect(await rowCount("SELECT COUNT(*) AS n FROM connector_logs WHERE connector_id = ?", c.id)).toBe(0);
		expect(await rowCount("SELECT COUNT(*) AS n FROM ingest_keys WHERE connector_id = ?", c.id)).toBe(0);

		expect((await snapshot(c.stream)).items.map((item) => item.key)).toEqual(["a"]);
		expect(await detail(c.stream)).toMatchObject({ connector_count: 1, item_count: 1 });
		await ingestApplied(other.key, c.stream, [{ id: "b" }], 2);
	});

	it("keeps a stream whose last connector is deleted, which can then be deleted without force", async () => {
		const c = await connectorWithKey();
		await data(await admin(`/connectors/${c.id}`, { method: "DELETE" }));
		expect(await detail(c.stream)).toMatchObject({ name: c.stream, connector_count: 0 });
		await data(await admin(`/streams/${c.stream}`, { method: "DELETE" }));
		await failure(await admin(`/streams/${c.stream}`), 404, "STREAM_NOT_FOUND");
	});
});

describe("DELETE /api/admin/streams/:stream", () => {
	it("answers 409 STREAM_IN_USE while connectors name it, and leaves everything in place", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		await ingestApplied(c.key, c.stream, [{ id: "a" }], 1);
		const token = await rendererToken(c.stream);
		await failure(await admin(`/streams/${c.stream}`, { method: "DELETE" }), 409, "STREAM_IN_USE");
		await failure(await admin(`/streams/${c.stream}?force=false`, { method: "DELETE" }), 409, "STREAM_IN_USE");
		await failure(await admin(`/streams/${c.stream}?force=yes`, { method: "DELETE" }), 400, "INVALID_PAYLOAD");
		expect(await detail(c.stream)).toMatchObject({ connector_count: 1, item_count: 1 });
		await data(await call(`/api/streams/${c.stream}/items`, { headers: { Authorization: `Bearer ${token.token}` } }));
		await data(await ingest(c.key, [{ id: "b" }]), 202);
	});

	it("with force: deletes connectors, keys, logs, items and renderer tokens, and closes sockets with 4004", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		const second = await connectorWithKey({ stream: c.stream, item_key: "id" });
		await ingestApplied(c.key, c.stream, [{ id: "a" }, { id: "b" }], 2);
		await flushedLogs(c);
		const token = await rendererToken(c.stream);
		const read = () => call(`/api/streams/${c.stream}/items`, { headers: { Authorization: `Bearer ${token.token}` } });
		await data(await read());
		const renderer = await connect(c.stream, `token=${token.token}`);
		expect((await renderer.snapshot()).at(-1)).toMatchObject({ type: "snapshot", seq: 2 });

		const deleted = await data<{ deleted: boolean; name: string }>(await admin(`/streams/${c.stream}?force=true`, { method: "DELETE" }));
		expect(deleted).toEqual({ deleted: true, name: c.stream });
		await eventually(() => expect(renderer.closed).toEqual({ code: 4004, reason: "stream deleted" }));

		await failure(await admin(`/streams/${c.stream}`), 404, "STREAM_NOT_FOUND");
		expect((await data<Stream[]>(await admin("/streams"))).map((stream) => stream.name)).not.toContain(c.stream);
		for (const id of [c.id, second.id]) await failure(await admin(`/connectors/${id}`), 404, "CONNECTOR_NOT_FOUND");
		await failure(await ingest(c.key, [{ id: "c" }]), 401, "UNAUTHORIZED");
		await failure(await ingest(second.key, [{ id: "c" }]), 401, "UNAUTHORIZED");
		await failure(await read(), 401, "UNAUTHORIZED");
		await failure(await call(`/api/streams/${c.stream}/ws?token=${token.token}`, { headers: { Upgrade: "websocket" } }), 401, "UNAUTHORIZED");
		expect(await rowCount("SELECT COUNT(*) AS n FROM connector_logs WHERE connector_id IN (?, ?)", c.id, second.id)).toBe(0);
		expect(await rowCount("SELECT COUNT(*) AS n FROM ingest_keys WHERE connector_id IN (?, ?)", c.id, second.id)).toBe(0);
		expect(await rowCount("SELECT COUNT(*) AS n FROM renderer_tokens WHERE stream = ?", c.stream)).toBe(0);
		await failure(await admin(`/streams/${c.stream}?force=true`, { method: "DELETE" }), 404, "STREAM_NOT_FOUND");
	});

	it("a stream created again under the name starts empty, with seqs above the old ones", async () => {
		const old = await connectorWithKey({ item_key: "id" });
		await ingestApplied(old.key, old.stream, [{ id: "a" }, { id: "b" }, { id: "c" }], 3);
		const oldToken = await rendererToken(old.stream);
		await data(await admin(`/streams/${old.stream}?force=true`, { method: "DELETE" }));

		const again = await connectorWithKey({ stream: old.stream, item_key: "id" });
		const fresh = await detail(old.stream);
		expect(fresh).toMatchObject({ connector_count: 1, item_count: 0 });
		expect(fresh.seq).toBeGreaterThanOrEqual(3);
		expect((await snapshot(old.stream)).items).toEqual([]);
		// The old token stays refused though its stream exists again.
		await failure(await call(`/api/streams/${old.stream}/items`, { headers: { Authorization: `Bearer ${oldToken.token}` } }), 401, "UNAUTHORIZED");

		await data(await ingest(again.key, [{ id: "a", v: 2 }]), 202);
		const item = await eventually(async () => {
			const items = (await snapshot(old.stream)).items;
			expect(items).toHaveLength(1);
			return items[0];
		});
		expect(item).toMatchObject({ key: "a", value: { id: "a", v: 2 } });
		expect(item?.seq).toBeGreaterThan(3);
		expect((await detail(old.stream)).seq).toBe(item?.seq);
	});

	it("answers 404 for a stream that does not exist", async () => {
		await failure(await call(`/api/admin/streams/${freshStream()}`, { method: "DELETE", headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } }), 404, "STREAM_NOT_FOUND");
	});
});
