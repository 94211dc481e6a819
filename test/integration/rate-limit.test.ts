import { describe, expect, it } from "vitest";
import { admin, connectorWithKey, data, eventually, failure, ingest, type LogEntry, logs } from "../helpers";

type RejectedEntry = LogEntry & { count: number; window_ends_at: string | null; http_status: number | null };

describe("per-connector rate limits", () => {
	it("allows `requests` per period, then answers 429 with Retry-After and RateLimit headers", async () => {
		const c = await connectorWithKey({ rate_limit: { requests: 3, period_seconds: 60 } });
		const remaining: string[] = [];
		for (let i = 0; i < 3; i++) {
			const response = await ingest(c.key, { i });
			expect(response.status).toBe(202);
			expect(response.headers.get("RateLimit-Limit")).toBe("3");
			remaining.push(response.headers.get("RateLimit-Remaining") ?? "");
		}
		expect(remaining).toEqual(["2", "1", "0"]);

		const limited = await ingest(c.key, { i: 3 });
		await failure(limited, 429, "RATE_LIMITED");
		const retryAfter = Number(limited.headers.get("Retry-After"));
		expect(Number.isInteger(retryAfter)).toBe(true);
		expect(retryAfter).toBeGreaterThanOrEqual(1);
		expect(retryAfter).toBeLessThanOrEqual(20);
		expect(limited.headers.get("RateLimit-Remaining")).toBe("0");
		expect(Number(limited.headers.get("RateLimit-Reset"))).toBeGreaterThanOrEqual(retryAfter);
		await eventually(async () => expect((await logs(c.id, "?status=rejected"))[0]?.error).toContain("RATE_LIMITED"));
	});

	it("passes exactly the limit through leased blocks, counting RateLimit-Remaining down one by one", async () => {
		// 40 per hour leases up to 4 tokens at a time once requests come quickly.
		const c = await connectorWithKey({ rate_limit: { requests: 40, period_seconds: 3600 } });
		const statuses: number[] = [];
		const remaining: number[] = [];
		for (let i = 0; i < 45; i++) {
			const response = await ingest(c.key, { i });
			statuses.push(response.status);
			remaining.push(Number(response.headers.get("RateLimit-Remaining")));
		}
		expect(statuses.filter((status) => status === 202)).toHaveLength(40);
		expect(statuses.slice(40)).toEqual([429, 429, 429, 429, 429]);
		expect(remaining.slice(0, 40)).toEqual(Array.from({ length: 40 }, (_, i) => 39 - i));
	});

	it("counts limits per connector, not per stream", async () => {
		const a = await connectorWithKey({ rate_limit: { requests: 1, period_seconds: 60 } });
		const b = await connectorWithKey({ stream: a.stream, rate_limit: { requests: 1, period_seconds: 60 } });
		expect((await ingest(a.key, {})).status).toBe(202);
		expect((await ingest(b.key, {})).status).toBe(202);
		expect((await ingest(a.key, {})).status).toBe(429);
	});

	it("applies a PATCHed limit at once", async () => {
		const c = await connectorWithKey({ rate_limit: { requests: 1, period_seconds: 3600 } });
		expect((await ingest(c.key, {})).status).toBe(202);
		expect((await ingest(c.key, {})).status).toBe(429);
		await data(await admin(`/connectors/${c.id}`, { method: "PATCH", body: { rate_limit: { requests: 100, period_seconds: 1 } } }));
		const response = await ingest(c.key, {});
		expect(response.status).toBe(202);
		expect(response.headers.get("RateLimit-Limit")).toBe("100");
	});

	it("logs a flood of 429s aggregated: one entry per window, whose counts sum to the refusals exactly", async () => {
		const c = await connectorWithKey({ rate_limit: { requests: 1, period_seconds: 3600 } });
		const statuses: number[] = [];
		for (let wave = 0; wave < 6; wave++) {
			const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => ingest(c.key, { wave, i })));
			for (const response of responses) {
				statuses.push(response.status);
				await response.arrayBuffer();
			}
		}
		const refused = statuses.filter((status) => status === 429).length;
		expect(refused).toBe(299);

		// The windows' final counts are written once each window (10 s) closes.
		const rejected = await eventually(async () => {
			const rows = (await logs(c.id, "?status=rejected&limit=200")) as RejectedEntry[];
			expect(rows.reduce((sum, row) => sum + row.count, 0)).toBe(refused);
			return rows;
		}, 25_000);
		expect(new Set(rejected.map((row) => row.window_ends_at)).size).toBe(rejected.length);
		for (const row of rejected) {
			expect(row.window_ends_at).not.toBeNull();
			expect(row.error).toMatch(/^RATE_LIMITED: [\d,]+ requests? refused between /);
			expect(row.http_status).toBe(429);
		}
		const listed = await data<{ id: string; stats: { last_24h: { rejected: number } } }[]>(await admin("/connectors?include=stats"));
		expect(listed.find((entry) => entry.id === c.id)?.stats.last_24h.rejected).toBe(refused);
	}, 40_000);

	it("reports 429 before looking at the body", async () => {
		const c = await connectorWithKey({ rate_limit: { requests: 1, period_seconds: 60 } });
		expect((await ingest(c.key, {})).status).toBe(202);
		await failure(await ingest(c.key, "{not json"), 429, "RATE_LIMITED");
	});
});
