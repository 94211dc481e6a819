import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { StreamObject } from "../../src/stream/stream-object";
import { streamStub } from "../../src/stream/stub";
import { ADMIN_TOKEN, admin, call, connectorWithKey, data, eventually, failure, ingest, snapshot } from "../helpers";

interface Read {
	stream: string;
	seq: number;
	resumed: boolean;
	items: { key: string; value: Record<string, unknown>; seq: number }[];
	removed: string[];
	next_after: number | null;
}

const read = async (stream: string, query = "") =>
	data<Read>(await call(`/api/streams/${stream}/items${query}`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } }));

describe("GET /api/streams/:stream/items", () => {
	it("needs a renderer token of that stream or the admin token", async () => {
		const a = await connectorWithKey();
		const b = await connectorWithKey();
		const tokenA = await data<{ token: string }>(await admin(`/streams/${a.stream}/tokens`, { method: "POST" }), 201);
		const get = (stream: string, token?: string) =>
			call(`/api/streams/${stream}/items`, token ? { headers: { Authorization: `Bearer ${token}` } } : {});
		await failure(await get(a.stream), 401, "UNAUTHORIZED");
		await failure(await get(a.stream, b.key), 401, "UNAUTHORIZED");
		await failure(await get(b.stream, tokenA.token), 404, "STREAM_NOT_FOUND");
		expect((await get(a.stream, tokenA.token)).status).toBe(200);
		expect((await get(b.stream, ADMIN_TOKEN)).status).toBe(200);
		await failure(await get("no-such-stream", ADMIN_TOKEN), 404, "STREAM_NOT_FOUND");
	});

	it("answers the contract's shape for an empty stream", async () => {
		const c = await connectorWithKey();
		expect(await read(c.stream)).toEqual({ stream: c.stream, seq: 0, resumed: false, items: [], removed: [], next_after: null });
	});

	it("with since=N returns only what changed after N, as current values", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		await data(await ingest(c.key, [{ id: "a", v: 1 }, { id: "b", v: 1 }, { id: "c", v: 1 }]), 202);
		await eventually(async () => expect((await snapshot(c.stream)).seq).toBe(3));
		await data(await ingest(c.key, { id: "a", v: 2 }), 202);
		await eventually(async () => expect((await snapshot(c.stream)).seq).toBe(4));

		const resumed = await read(c.stream, "?since=2");
		expect(resumed.resumed).toBe(true);
		expect(resumed.seq).toBe(4);
		expect(resumed.items.map((item) => [item.key, item.value.v, item.seq])).toEqual([
			["c", 1, 3],
			["a", 2, 4],
		]);
		expect((await read(c.stream, "?since=4")).items).toEqual([]);
	});

	it("falls back to a full snapshot when `since` is outside the retained window or ahead of the stream", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		await data(await ingest(c.key, [{ id: "a" }, { id: "b" }]), 202);
		await eventually(async () => expect((await snapshot(c.stream)).seq).toBe(2));
		const ahead = await read(c.stream, "?since=99");
		expect(ahead.resumed).toBe(false);
		expect(ahead.items).toHaveLength(2);
		await runInDurableObject(streamStub(env, c.stream), (_instance: StreamObject, state) => {
			state.storage.sql.exec("DELETE FROM changelog WHERE seq = 1");
		});
		const outside = await read(c.stream, "?since=0");
		expect(outside.resumed).toBe(false);
		expect(outside.items.map((item) => item.key)).toEqual(["a", "b"]);
		expect((await read(c.stream, "?since=1")).resumed).toBe(true);
	});

	it("pages a snapshot with after and limit", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		await data(await ingest(c.key, [{ id: "a" }, { id: "b" }, { id: "c" }]), 202);
		await eventually(async () => expect((await snapshot(c.stream)).seq).toBe(3));
		const first = await read(c.stream, "?limit=2");
		expect(first.items.map((item) => item.key)).toEqual(["a", "b"]);
		expect(first.next_after).toBe(2);
		const second = await read(c.stream, `?after=${first.next_after}&limit=2`);
		expect(second.items.map((item) => item.key)).toEqual(["c"]);
		expect(second.next_after).toBeNull();
	});

	it("refuses bad queries with 400", async () => {
		const c = await connectorWithKey();
		for (const query of ["?since=-1", "?since=x", "?limit=0", "?since=1&limit=2"]) {
			await failure(await call(`/api/streams/${c.stream}/items${query}`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } }), 400, "INVALID_PAYLOAD");
		}
	});
});
