import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, type Item, admin, call, connectorWithKey, data, eventually, failure, freshStream, ingest, snapshot } from "../helpers";
import { connect, rendererToken } from "../renderer-client";

/** Ingests and waits until the stream has applied it. */
async function ingestApplied(key: string, stream: string, items: unknown[], seq: number): Promise<void> {
	await data(await ingest(key, items), 202);
	await eventually(async () => expect((await snapshot(stream)).seq).toBe(seq));
}

const readItem = (stream: string, key: string, token = ADMIN_TOKEN) =>
	call(`/api/streams/${stream}/items/${encodeURIComponent(key)}`, { headers: { Authorization: `Bearer ${token}` } });

const deleteItem = (stream: string, key: string) =>
	admin(`/streams/${stream}/items/${encodeURIComponent(key)}`, { method: "DELETE" });

describe("GET /api/streams/:stream/items/:key", () => {
	it("answers one item to the admin or a renderer token of the stream, 404 ITEM_NOT_FOUND when none is stored", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		await ingestApplied(c.key, c.stream, [{ id: "North", v: 1 }, { id: "a/b c?", v: 2 }], 2);
		const token = await rendererToken(c.stream);

		const item = await data<Item>(await readItem(c.stream, "North"));
		expect(item).toMatchObject({ key: "North", value: { id: "North", v: 1 }, seq: 1 });
		expect(Date.parse(item.updated_at)).not.toBeNaN();
		expect(await data<Item>(await readItem(c.stream, "North", token.token))).toEqual(item);
		expect(await data<Item>(await readItem(c.stream, "a/b c?", token.token))).toMatchObject({ key: "a/b c?", value: { v: 2 }, seq: 2 });
		await failure(await readItem(c.stream, "South"), 404, "ITEM_NOT_FOUND");
		await failure(await readItem(c.stream, "South", token.token), 404, "ITEM_NOT_FOUND");
	});

	it("authorises like GET /items: 401 without valid credentials, 404 for another stream's token or an unknown stream", async () => {
		const a = await connectorWithKey({ item_key: "id" });
		const b = await connectorWithKey();
		await ingestApplied(a.key, a.stream, [{ id: "x" }], 1);
		const tokenB = await rendererToken(b.stream);
		await failure(await call(`/api/streams/${a.stream}/items/x`), 401, "UNAUTHORIZED");
		await failure(await readItem(a.stream, "x", "rk_live_not-a-real-token"), 401, "UNAUTHORIZED");
		await failure(await readItem(a.stream, "x", a.key), 401, "UNAUTHORIZED");
		await failure(await readItem(a.stream, "x", tokenB.token), 404, "STREAM_NOT_FOUND");
		await failure(await readItem(freshStream(), "x"), 404, "STREAM_NOT_FOUND");
		// Credentials before the path: an over-long key without them is 401, not 400.
		await failure(await call(`/api/streams/${a.stream}/items/${"k".repeat(600)}`), 401, "UNAUTHORIZED");
		await failure(await readItem(a.stream, "k".repeat(600)), 400, "INVALID_PAYLOAD");
	});
});

describe("DELETE /api/admin/streams/:stream/items/:key", () => {
	it("deletes before it answers, says whether an item was there, and tells renderers in removed", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		await ingestApplied(c.key, c.stream, [{ id: "a" }, { id: "b/c" }], 2);
		const renderer = await connect(c.stream, `token=${(await rendererToken(c.stream)).token}`);
		await renderer.snapshot();

		expect(await data(await deleteItem(c.stream, "a"))).toEqual({ deleted: true });
		// No waiting: the delete was applied before the answer.
		await failure(await readItem(c.stream, "a"), 404, "ITEM_NOT_FOUND");
		expect((await snapshot(c.stream)).items.map((item) => item.key)).toEqual(["b/c"]);
		const [frame] = await renderer.next();
		expect(frame).toMatchObject({ type: "changes", removed: ["a"], items: [] });

		expect(await data(await deleteItem(c.stream, "a"))).toEqual({ deleted: false });
		expect(await data(await deleteItem(c.stream, "never-there"))).toEqual({ deleted: false });
		expect(await data(await deleteItem(c.stream, "b/c"))).toEqual({ deleted: true });
		expect((await snapshot(c.stream)).items).toEqual([]);
		await failure(await deleteItem(freshStream(), "a"), 404, "STREAM_NOT_FOUND");
	});

	it("is stamped like a write: the item written again after the delete comes back with a higher seq", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		await ingestApplied(c.key, c.stream, [{ id: "a", v: 1 }], 1);
		expect(await data(await deleteItem(c.stream, "a"))).toEqual({ deleted: true });
		const afterDelete = (await snapshot(c.stream)).seq;
		await data(await ingest(c.key, [{ id: "a", v: 2 }]), 202);
		const item = await eventually(async () => data<Item>(await readItem(c.stream, "a")));
		expect(item).toMatchObject({ value: { v: 2 } });
		expect(item.seq).toBeGreaterThan(afterDelete);
	});
});

describe("DELETE /api/admin/streams/:stream/items", () => {
	it("clears the stream before it answers, and renderers get an empty snapshot", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		await ingestApplied(c.key, c.stream, [{ id: "a" }, { id: "b" }, { id: "c" }], 3);
		const renderer = await connect(c.stream, `token=${(await rendererToken(c.stream)).token}`);
		await renderer.snapshot();

		expect(await data(await admin(`/streams/${c.stream}/items`, { method: "DELETE" }))).toEqual({ cleared: true, removed: 3 });
		const cleared = await snapshot(c.stream);
		expect(cleared.items).toEqual([]);
		expect(cleared.seq).toBeGreaterThanOrEqual(3);
		const frames = await renderer.snapshot();
		expect(frames.flatMap((frame) => frame.items ?? [])).toEqual([]);
		expect(frames.at(-1)).toMatchObject({ type: "snapshot", seq: cleared.seq, complete: true });

		expect(await data(await admin(`/streams/${c.stream}/items`, { method: "DELETE" }))).toEqual({ cleared: true, removed: 0 });
		await failure(await admin(`/streams/${freshStream()}/items`, { method: "DELETE" }), 404, "STREAM_NOT_FOUND");
	});
});
