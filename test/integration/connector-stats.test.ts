import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { admin, connectorWithKey, data, eventually, failure, ingest, logs } from "../helpers";

interface ListedConnector {
	id: string;
	name: string;
	stream: string;
	stats?: {
		active_keys: number;
		revoked_keys: number;
		last_request_at: string | null;
		last_24h: Record<string, number>;
	};
}

async function listed(id: string, query = ""): Promise<ListedConnector> {
	const list = await data<ListedConnector[]>(await admin(`/connectors${query}`));
	const found = list.find((connector) => connector.id === id);
	if (!found) throw new Error(`connector ${id} is not listed`);
	return found;
}

describe("GET /api/admin/connectors?include=stats", () => {
	it("adds key counts, the last request time and the last 24 h of statuses", async () => {
		const c = await connectorWithKey({ item_key: "region" });
		const spare = await data<{ id: string }>(await admin(`/connectors/${c.id}/keys`, { method: "POST" }), 201);
		await data(await admin(`/connectors/${c.id}/keys/${spare.id}`, { method: "DELETE" }));

		await data(await ingest(c.key, [{ region: "North", revenue: 1 }]), 202);
		await failure(await ingest(c.key, [{ revenue: 2 }]), 400, "INVALID_PAYLOAD");
		await eventually(async () => expect((await logs(c.id, "?status=processed")).length).toBe(1));
		// A failure from 25 h ago is outside the window: it must not be counted.
		await env.DB.prepare(
			`INSERT INTO connector_logs (request_id, connector_id, received_at, items_received, status, error, idempotency_key, http_status, updated_at)
			 VALUES ('req_old', ?, ?, 1, 'failed', 'old', NULL, 202, ?)`,
		)
			.bind(c.id, new Date(Date.now() - 25 * 3600_000).toISOString(), new Date().toISOString())
			.run();

		const entry = await listed(c.id, "?include=stats");
		const newest = (await logs(c.id))[0];
		expect(entry.stats).toEqual({
			active_keys: 1,
			revoked_keys: 1,
			last_request_at: newest?.received_at,
			last_24h: { queued: 0, processed: 1, duplicate: 0, rejected: 1, failed: 0 },
		});
	});

	it("gives a connector without activity zero counts and no last request", async () => {
		const created = await data<{ id: string }>(
			await admin("/connectors", { body: { name: "Quiet", stream: `quiet-${crypto.randomUUID().slice(0, 8)}` } }),
			201,
		);
		expect((await listed(created.id, "?include=stats")).stats).toEqual({
			active_keys: 0,
			revoked_keys: 0,
			last_request_at: null,
			last_24h: { queued: 0, processed: 0, duplicate: 0, rejected: 0, failed: 0 },
		});
	});

	it("keeps the plain list as the contract has it, and refuses an unknown include", async () => {
		const c = await connectorWithKey();
		const plain = await listed(c.id);
		expect(plain.stats).toBeUndefined();
		expect(Object.keys(plain).sort()).toEqual(["created_at", "id", "item_key", "name", "rate_limit", "stream", "updated_at"]);
		const body = await failure(await admin("/connectors?include=everything"), 400, "INVALID_PAYLOAD");
		expect(body.error.details?.[0]?.path).toEqual(["include"]);
	});
});
