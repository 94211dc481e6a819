import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/services/auth/secrets";
import { admin, call, connectorWithKey, data, eventually, failure, freshStream, ingest, logs } from "../helpers";

interface Connector {
	id: string;
	name: string;
	stream: string;
	item_key: string | null;
	rate_limit: { requests: number; period_seconds: number } | null;
	created_at: string;
}

describe("admin authentication", () => {
	it.each([
		["GET", "/api/admin/connectors"],
		["POST", "/api/admin/connectors"],
		["GET", "/api/admin/connectors/con_x"],
		["PATCH", "/api/admin/connectors/con_x"],
		["POST", "/api/admin/connectors/con_x/keys"],
		["DELETE", "/api/admin/connectors/con_x/keys/key_x"],
		["GET", "/api/admin/connectors/con_x/logs"],
		["POST", "/api/admin/streams/sales/tokens"],
		["GET", "/api/admin/streams/sales/tokens"],
		["DELETE", "/api/admin/streams/sales/tokens/rtk_x"],
		["POST", "/api/admin/streams/sales/tickets"],
	])("%s %s needs the admin token", async (method, path) => {
		await failure(await call(path, { method }), 401, "UNAUTHORIZED");
		await failure(await call(path, { method, headers: { Authorization: "Bearer not-the-token" } }), 401, "UNAUTHORIZED");
		await failure(await call(path, { method, headers: { Authorization: "test-admin-token" } }), 401, "UNAUTHORIZED");
	});
});

describe("connectors", () => {
	it("creates, lists, gets and patches a connector", async () => {
		const stream = freshStream();
		const created = await data<Connector>(
			await admin("/connectors", {
				body: { name: "CRM", stream, item_key: "id", rate_limit: { requests: 10, period_seconds: 60 } },
			}),
			201,
		);
		expect(created).toMatchObject({ name: "CRM", stream, item_key: "id", rate_limit: { requests: 10, period_seconds: 60 } });
		expect(created.id).toMatch(/^con_/);
		expect(Date.parse(created.created_at)).not.toBeNaN();

		const listed = await data<Connector[]>(await admin("/connectors"));
		expect(listed.find((connector) => connector.id === created.id)).toEqual(created);

		const one = await data<Connector & { keys: unknown[] }>(await admin(`/connectors/${created.id}`));
		expect(one).toMatchObject({ ...created, keys: [] });

		const patched = await data<Connector>(
			await admin(`/connectors/${created.id}`, { method: "PATCH", body: { name: "CRM 2", item_key: null, rate_limit: null } }),
		);
		expect(patched).toMatchObject({ id: created.id, name: "CRM 2", stream, item_key: null, rate_limit: null });
		const renamed = await data<Connector>(await admin(`/connectors/${created.id}`, { method: "PATCH", body: { name: "CRM 3" } }));
		expect(renamed).toMatchObject({ name: "CRM 3", item_key: null });
	});

	it("defaults item_key and rate_limit to null", async () => {
		const created = await data<Connector>(await admin("/connectors", { body: { name: "n", stream: freshStream() } }), 201);
		expect(created).toMatchObject({ item_key: null, rate_limit: null });
	});

	it.each([
		["no name", { stream: "abc" }],
		["an empty name", { name: " ", stream: "abc" }],
		["an upper-case stream", { name: "n", stream: "Sales" }],
		["a stream starting with -", { name: "n", stream: "-sales" }],
		["a 65-character stream", { name: "n", stream: "a".repeat(65) }],
		["a zero rate limit", { name: "n", stream: "abc", rate_limit: { requests: 0, period_seconds: 1 } }],
		["an unknown field", { name: "n", stream: "abc", colour: "red" }],
	])("refuses %s with 400 and details", async (_, body) => {
		const error = await failure(await admin("/connectors", { body }), 400, "INVALID_PAYLOAD");
		expect(error.error.details?.length).toBeGreaterThan(0);
	});

	it("refuses malformed JSON and a wrong content type with 400", async () => {
		const headers = { Authorization: "Bearer test-admin-token" };
		await failure(
			await call("/api/admin/connectors", { method: "POST", headers: { ...headers, "Content-Type": "application/json" }, body: "{" }),
			400,
			"INVALID_PAYLOAD",
		);
		await failure(
			await call("/api/admin/connectors", { method: "POST", headers: { ...headers, "Content-Type": "text/plain" }, body: "{}" }),
			400,
			"INVALID_PAYLOAD",
		);
	});

	it("does not let PATCH move a connector to another stream", async () => {
		const c = await connectorWithKey();
		await failure(await admin(`/connectors/${c.id}`, { method: "PATCH", body: { stream: "other" } }), 400, "INVALID_PAYLOAD");
	});

	it("answers 404 CONNECTOR_NOT_FOUND for unknown connectors", async () => {
		await failure(await admin("/connectors/con_nope"), 404, "CONNECTOR_NOT_FOUND");
		await failure(await admin("/connectors/con_nope", { method: "PATCH", body: { name: "x" } }), 404, "CONNECTOR_NOT_FOUND");
		await failure(await admin("/connectors/con_nope/keys", { method: "POST" }), 404, "CONNECTOR_NOT_FOUND");
		await failure(await admin("/connectors/con_nope/logs"), 404, "CONNECTOR_NOT_FOUND");
	});
});

describe("ingest keys", () => {
	it("shows a key once, stores only its SHA-256, and lists it by prefix", async () => {
		const c = await connectorWithKey();
		expect(c.key).toMatch(/^ik_live_[A-Za-z0-9_-]{43}$/);
		const row = await env.DB.prepare("SELECT * FROM ingest_keys WHERE id = ?").bind(c.keyId).first<Record<string, unknown>>();
		expect(row?.key_hash).toBe(await sha256Hex(c.key));
		expect(Object.values(row ?? {})).not.toContain(c.key);
		expect(JSON.stringify(row)).not.toContain(c.key.slice(12));

		const detail = await admin(`/connectors/${c.id}`);
		const text = await detail.text();
		expect(text).not.toContain(c.key);
		const keys = (JSON.parse(text) as { data: { keys: Record<string, unknown>[] } }).data.keys;
		expect(keys).toEqual([{ id: c.keyId, prefix: c.key.slice(0, 12), created_at: expect.any(String), revoked_at: null }]);
	});

	it("keeps a connector's other keys working when one is revoked", async () => {
		const c = await connectorWithKey();
		const second = await data<{ id: string; key: string }>(await admin(`/connectors/${c.id}/keys`, { method: "POST" }), 201);
		await data(await admin(`/connectors/${c.id}/keys/${c.keyId}`, { method: "DELETE" }));
		await failure(await ingest(c.key, { a: 1 }), 401, "UNAUTHORIZED");
		expect((await ingest(second.key, { a: 1 })).status).toBe(202);
	});

	it("answers 404 KEY_NOT_FOUND for a key of another connector", async () => {
		const a = await connectorWithKey();
		const b = await connectorWithKey();
		await failure(await admin(`/connectors/${a.id}/keys/${b.keyId}`, { method: "DELETE" }), 404, "KEY_NOT_FOUND");
		expect((await ingest(b.key, { a: 1 })).status).toBe(202);
	});

	it("revoking twice keeps the first revocation time", async () => {
		const c = await connectorWithKey();
		const first = await data<{ revoked_at: string }>(await admin(`/connectors/${c.id}/keys/${c.keyId}`, { method: "DELETE" }));
		const second = await data<{ revoked_at: string }>(await admin(`/connectors/${c.id}/keys/${c.keyId}`, { method: "DELETE" }));
		expect(second.revoked_at).toBe(first.revoked_at);
	});
});

describe("renderer tokens", () => {
	it("creates a token for an existing stream, stores only its hash, and revokes it", async () => {
		const c = await connectorWithKey();
		const created = await data<{ id: string; token: string; created_at: string }>(
			await admin(`/streams/${c.stream}/tokens`, { method: "POST" }),
			201,
		);
		expect(created.token).toMatch(/^rk_live_[A-Za-z0-9_-]{43}$/);
		const row = await env.DB.prepare("SELECT * FROM renderer_tokens WHERE id = ?").bind(created.id).first<Record<string, unknown>>();
		expect(row?.token_hash).toBe(await sha256Hex(created.token));
		expect(JSON.stringify(row)).not.toContain(created.token.slice(12));

		const read = () => call(`/api/streams/${c.stream}/items`, { headers: { Authorization: `Bearer ${created.token}` } });
		expect((await read()).status).toBe(200);
		await data(await admin(`/streams/${c.stream}/tokens/${created.id}`, { method: "DELETE" }));
		await failure(await read(), 401, "UNAUTHORIZED");
	});

	it("lists a stream's tokens by prefix, never the token", async () => {
		const c = await connectorWithKey();
		const first = await data<{ id: string; token: string }>(await admin(`/streams/${c.stream}/tokens`, { method: "POST" }), 201);
		const second = await data<{ id: string; token: string }>(await admin(`/streams/${c.stream}/tokens`, { method: "POST" }), 201);
		await data(await admin(`/streams/${c.stream}/tokens/${first.id}`, { method: "DELETE" }));
		const response = await admin(`/streams/${c.stream}/tokens`);
		const text = await response.text();
		expect(text).not.toContain(first.token);
		expect(text).not.toContain(second.token);
		const listed = (JSON.parse(text) as { data: { id: string; prefix: string; revoked_at: string | null }[] }).data;
		const byId = (a: unknown[], b: unknown[]) => String(a[0]).localeCompare(String(b[0]));
		expect(listed.map((token) => [token.id, token.prefix, token.revoked_at === null]).sort(byId)).toEqual(
			[
				[second.id, second.token.slice(0, 12), true],
				[first.id, first.token.slice(0, 12), false],
			].sort(byId),
		);
		await failure(await admin("/streams/nobody-here/tokens"), 404, "STREAM_NOT_FOUND");
	});

	it("answers 404 STREAM_NOT_FOUND for a stream no connector names, and TOKEN_NOT_FOUND for unknown tokens", async () => {
		await failure(await admin("/streams/nobody-here/tokens", { method: "POST" }), 404, "STREAM_NOT_FOUND");
		const c = await connectorWithKey();
		await failure(await admin(`/streams/${c.stream}/tokens/rtk_nope`, { method: "DELETE" }), 404, "TOKEN_NOT_FOUND");
	});
});

describe("connector logs", () => {
	it("pages newest first with a cursor and filters by status", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		const accepted: string[] = [];
		for (let i = 0; i < 5; i++) {
			const response = await ingest(c.key, { id: `k${i}` });
			accepted.push((await data<{ request_id: string }>(response, 202)).request_id);
		}
		const rejected = (await failure(await ingest(c.key, { nope: 1 }), 400, "INVALID_PAYLOAD")).request_id;

		await eventually(async () => expect((await logs(c.id, "?status=processed")).length).toBe(5));
		const first = await data<unknown>(await admin(`/connectors/${c.id}/logs?limit=4`));
		const page1 = await (await admin(`/connectors/${c.id}/logs?limit=4`)).json<{ data: { request_id: string }[]; next_cursor: string }>();
		expect(first).toHaveLength(4);
		expect(page1.next_cursor).toEqual(expect.any(String));
		const page2 = await (
			await admin(`/connectors/${c.id}/logs?limit=4&cursor=${encodeURIComponent(page1.next_cursor)}`)
		).json<{ data: { request_id: string }[]; next_cursor: string | null }>();
		expect(page2.next_cursor).toBeNull();
		const all = [...page1.data, ...page2.data].map((entry) => entry.request_id);
		expect(all).toEqual([rejected, ...accepted.reverse()]);

		const onlyRejected = await logs(c.id, "?status=rejected");
		expect(onlyRejected.map((entry) => entry.request_id)).toEqual([rejected]);
	});

	it("refuses a bad status, limit or cursor with 400", async () => {
		const c = await connectorWithKey();
		await failure(await admin(`/connectors/${c.id}/logs?status=weird`), 400, "INVALID_PAYLOAD");
		await failure(await admin(`/connectors/${c.id}/logs?limit=0`), 400, "INVALID_PAYLOAD");
		await failure(await admin(`/connectors/${c.id}/logs?limit=201`), 400, "INVALID_PAYLOAD");
		await failure(await admin(`/connectors/${c.id}/logs?cursor=garbage`), 400, "INVALID_PAYLOAD");
	});
});
