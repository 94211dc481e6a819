import { describe, expect, it } from "vitest";
import { RateLimitedLog } from "../../src/edge/ingest/rate-limited-log";
import type { RateLimitedWindow } from "../../src/storage/connector-logs";
import { FakeClock, settle } from "./fake-clock";

const WINDOW = 10_000;
// 5 s into a window, so the window closes 5 s later.
const START = 1_700_000_005_000;
const limit = { requests: 1, period_seconds: 60 };
const refusal = (n: number, connectorId = "con_a") => ({
	connectorId,
	requestId: `req_${n}`,
	receivedAt: new Date(START).toISOString(),
	limit,
});

/** A D1 stand-in: the rows by request id, and every write it was asked for. */
function table(failures = 0) {
	const rows = new Map<string, RateLimitedWindow>();
	const writes: RateLimitedWindow[] = [];
	let failing = failures;
	const write = async (window: RateLimitedWindow) => {
		writes.push(window);
		if (failing > 0) {
			failing -= 1;
			throw new Error("D1 down");
		}
		const known = rows.get(window.request_id);
		if (!known || window.count > known.count) rows.set(window.request_id, window);
	};
	return { rows, writes, write };
}

describe("RateLimitedLog", () => {
	it("writes a flood of one window in two writes: the first refusal, then the exact count when it closes", async () => {
		const clock = new FakeClock(START);
		const log = new RateLimitedLog(WINDOW, clock);
		const db = table();
		const work = [];
		for (let i = 0; i < 300; i++) work.push(log.record(refusal(i), db.write));
		expect(work.filter((w) => w !== null)).toHaveLength(1);
		await settle();
		expect(db.writes.map((w) => w.count)).toEqual([1]);

		await clock.advance(5_000);
		await Promise.all(work);
		expect(db.writes.map((w) => w.count)).toEqual([1, 300]);
		expect([...db.rows.values()]).toEqual([
			{
				request_id: "req_0",
				connector_id: "con_a",
				received_at: new Date(START).toISOString(),
				window_ends_at: new Date(START + 5_000).toISOString(),
				count: 300,
				error: `RATE_LIMITED: 300 requests refused between ${new Date(START - 5_000).toISOString()} and ${new Date(START + 5_000).toISOString()} (limit: 1 per 60 s).`,
			},
		]);
	});

	it("writes a lone refusal once", async () => {
		const clock = new FakeClock(START);
		const log = new RateLimitedLog(WINDOW, clock);
		const db = table();
		const work = log.record(refusal(0), db.write);
		await clock.advance(5_000);
		await work;
		expect(db.writes).toHaveLength(1);
		expect(db.rows.get("req_0")?.error).toContain("RATE_LIMITED: 1 request refused");
	});

	it("counts each connector and each window apart, so the counts sum to the refusals exactly", async () => {
		const clock = new FakeClock(START);
		const log = new RateLimitedLog(WINDOW, clock);
		const db = table();
		const work: (Promise<void> | null)[] = [];
		for (let i = 0; i < 10; i++) work.push(log.record(refusal(i), db.write), log.record(refusal(100 + i, "con_b"), db.write));
		await clock.advance(4_999);
		for (let i = 10; i < 15; i++) work.push(log.record(refusal(i), db.write));
		// The window closes: the next refusal opens the next one, with a row of its own.
		await clock.advance(1);
		for (let i = 15; i < 22; i++) work.push(log.record(refusal(i), db.write));
		await clock.advance(WINDOW);
		await Promise.all(work);
		const counts = [...db.rows.values()].map((row) => [row.request_id, row.connector_id, row.count]);
		expect(counts).toEqual([
			["req_0", "con_a", 15],
			["req_100", "con_b", 10],
			["req_15", "con_a", 7],
		]);
		expect(db.writes).toHaveLength(6);
	});

	it("retries the final count when D1 fails, and never writes a count twice once stored", async () => {
		const clock = new FakeClock(START);
		const log = new RateLimitedLog(WINDOW, clock);
		// The first write and the first attempt at the final count fail.
		const db = table(2);
		const work = log.record(refusal(0), db.write);
		for (let i = 1; i < 50; i++) log.record(refusal(i), db.write);
		await clock.advance(5_000);
		expect(db.rows.size).toBe(0);
		await clock.advance(1_000);
		await work;
		expect(db.writes.map((w) => w.count)).toEqual([1, 50, 50]);
		expect(db.rows.get("req_0")?.count).toBe(50);
	});
});
