import { describe, expect, it } from "vitest";
import { connectorWithKey, data, eventually, ingest, logs, snapshot } from "../helpers";

describe("ingest → queue → stream", () => {
	it("accepts items with 202 and applies them to the stream in seq order", async () => {
		const c = await connectorWithKey({ item_key: "region" });
		const response = await ingest(c.key, [
			{ region: "North", revenue: 1 },
			{ region: "South", revenue: 2 },
		]);
		const accepted = await data<{ stream: string; items_received: number; request_id: string }>(response, 202);
		expect(accepted).toEqual({ stream: c.stream, items_received: 2, request_id: response.headers.get("X-Request-Id") });

		const snap = await eventually(async () => {
			const s = await snapshot(c.stream);
			expect(s.items).toHaveLength(2);
			return s;
		});
		expect(snap.seq).toBe(2);
		expect(snap.items.map((item) => [item.key, item.value, item.seq])).toEqual([
			["North", { region: "North", revenue: 1 }, 1],
			["South", { region: "South", revenue: 2 }, 2],
		]);
		const log = await eventually(async () => {
			const entries = await logs(c.id);
			expect(entries[0]?.status).toBe("processed");
			return entries;
		});
		expect(log[0]).toMatchObject({ request_id: accepted.request_id, items_received: 2, error: null, idempotency_key: null });
	});
});
