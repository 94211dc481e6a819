import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { purgeLogs, recordRequests } from "../../src/storage/connector-logs";
import { connectorWithKey, logs } from "../helpers";

describe("the cron trigger", () => {
	it("purges connector logs older than LOG_RETENTION_DAYS and keeps the rest", async () => {
		const c = await connectorWithKey();
		const day = 24 * 60 * 60 * 1000;
		const days = Number(env.LOG_RETENTION_DAYS);
		for (const [id, age] of [
			["req_old", (days + 1) * day],
			["req_recent", (days - 1) * day],
		] as const) {
			await recordRequests(env.DB, [
				{
					request_id: id,
					connector_id: c.id,
					received_at: new Date(Date.now() - age).toISOString(),
					items_received: 1,
					status: "processed",
					error: null,
					idempotency_key: null,
					http_status: 202,
					operation: "upsert",
				},
			]);
		}
		const ctx = createExecutionContext();
		await worker.scheduled(createScheduledController({ cron: "17 * * * *" }), env, ctx);
		await waitOnExecutionContext(ctx);
		expect((await logs(c.id)).map((entry) => entry.request_id)).toEqual(["req_recent"]);
	});

	it("purges a backlog in bounded pages, oldest first, and says when some is left for the next run", async () => {
		const c = await connectorWithKey();
		const day = 24 * 60 * 60 * 1000;
		const base = Date.now() - 40 * day;
		const entry = (id: string, at: number) => ({
			request_id: id,
			connector_id: c.id,
			received_at: new Date(at).toISOString(),
			items_received: 1,
			status: "processed" as const,
			error: null,
			idempotency_key: null,
			http_status: 202,
			operation: "upsert" as const,
		});
		await recordRequests(env.DB, [...Array.from({ length: 5 }, (_, i) => entry(`req_page_${i}`, base + i * 1000)), entry("req_page_new", Date.now())]);
		// Just after the old entries (storage is shared by this file's tests: the entries above are younger).
		const before = new Date(base + 4500).toISOString();

		expect(await purgeLogs(env.DB, before, { pageRows: 2, maxPages: 2 })).toEqual({ deleted: 4, more: true });
		// The oldest went first: only the newest of the old entries is left of them.
		expect((await logs(c.id)).map((e) => e.request_id)).toEqual(["req_page_new", "req_page_4"]);
		expect(await purgeLogs(env.DB, before, { pageRows: 2, maxPages: 2 })).toEqual({ deleted: 1, more: false });
		expect((await logs(c.id)).map((e) => e.request_id)).toEqual(["req_page_new"]);
	});
});
