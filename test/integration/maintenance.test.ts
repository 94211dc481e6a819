import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { recordRequests } from "../../src/storage/connector-logs";
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
		await worker.scheduled(createScheduledController({ cron: "17 3 * * *" }), env, ctx);
		await waitOnExecutionContext(ctx);
		expect((await logs(c.id)).map((entry) => entry.request_id)).toEqual(["req_recent"]);
	});
});
