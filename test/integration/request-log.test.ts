import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { LogRecord } from "../../src/model/log-record";
import { LOG_STATUSES, LOG_TRANSITIONS, type LogStatus } from "../../src/model/log-status";
import { recordRequests } from "../../src/storage/connector-logs";
import { connectorWithKey, logs } from "../helpers";

let n = 0;
const entry = (connectorId: string, requestId: string, status: LogStatus, error: string | null): LogRecord => ({
	request_id: requestId,
	connector_id: connectorId,
	received_at: new Date(1_700_000_000_000 + n++).toISOString(),
	items_received: 1,
	status,
	error,
	idempotency_key: null,
	http_status: 202,
	operation: "upsert",
});

describe("recordRequests: a request's lifecycle, whoever writes it", () => {
	it("moves an entry only as LOG_TRANSITIONS allows, for every pair of statuses", async () => {
		const c = await connectorWithKey();
		const pairs = LOG_STATUSES.flatMap((from) => LOG_STATUSES.map((to) => [from, to] as const));
		for (const [from, to] of pairs) {
			const id = `req_${from}_${to}`;
			await recordRequests(env.DB, [entry(c.id, id, from, null)]);
			await recordRequests(env.DB, [entry(c.id, id, to, null)]);
		}
		const stored = new Map((await logs(c.id, "?limit=200")).map((row) => [row.request_id, row.status]));
		for (const [from, to] of pairs) {
			const expected = LOG_TRANSITIONS[from].includes(to) ? to : from;
			expect(`${from}→${to}: ${stored.get(`req_${from}_${to}`)}`).toBe(`${from}→${to}: ${expected}`);
		}
	});

	it("keeps the first error of a failed entry, takes the new one on any other move", async () => {
		const c = await connectorWithKey();
		await recordRequests(env.DB, [entry(c.id, "req_a", "queued", "Attempt 5 failed: boom")]);
		await recordRequests(env.DB, [entry(c.id, "req_a", "failed", "Attempt 6 failed: boom")]);
		await recordRequests(env.DB, [entry(c.id, "req_a", "failed", "Delivery failed after every retry (dead-lettered).")]);
		await recordRequests(env.DB, [entry(c.id, "req_b", "failed", "Attempt 6 failed: boom"), entry(c.id, "req_b", "processed", null)]);
		const rows = new Map((await logs(c.id)).map((row) => [row.request_id, row]));
		expect(rows.get("req_a")).toMatchObject({ status: "failed", error: "Attempt 6 failed: boom" });
		expect(rows.get("req_b")).toMatchObject({ status: "processed", error: null });
	});

	it("writes nothing for a connector that no longer exists", async () => {
		await recordRequests(env.DB, [entry("con_gone", "req_gone", "processed", null)]);
		const row = await env.DB.prepare("SELECT COUNT(*) AS n FROM connector_logs WHERE request_id = 'req_gone'").first<{ n: number }>();
		expect(row?.n).toBe(0);
	});
});
