import { describe, expect, it } from "vitest";
import { MAX_BODY_BYTES } from "../../src/edge/ingest/body-reader";
import { splitText } from "../../src/edge/ingest/chunking";
import { connectorWithKey, data, eventually, ingest, logs, snapshot } from "../helpers";

describe("a full 1 MB body", () => {
	it("of 5,000 small items is accepted, split into several queue messages, and applied whole at once", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		const items = Array.from({ length: 5000 }, (_, i) => ({ id: `item-${String(i).padStart(5, "0")}`, pad: "" }));
		const bare = JSON.stringify(items).length;
		const pad = Math.floor((MAX_BODY_BYTES - bare) / items.length);
		for (const item of items) item.pad = "x".repeat(pad);
		const body = JSON.stringify(items);
		expect(body.length).toBeLessThanOrEqual(MAX_BODY_BYTES);
		expect(body.length).toBeGreaterThan(MAX_BODY_BYTES - 5000);
		expect(splitText(body).length).toBeGreaterThan(5);

		const accepted = await data<{ items_received: number }>(await ingest(c.key, body), 202);
		expect(accepted.items_received).toBe(5000);

		// Every look at the stream sees none or all of the request: never a part of it.
		const snap = await eventually(async () => {
			const s = await snapshot(c.stream);
			expect([0, 5000]).toContain(s.items.length);
			expect(s.items).toHaveLength(5000);
			return s;
		}, 20_000);
		expect(snap.seq).toBe(5000);
		expect(snap.items.map((item) => item.key)).toEqual(items.map((item) => item.id));
		expect(snap.items[4999]?.value).toEqual(items[4999]);
		await eventually(async () => expect((await logs(c.id))[0]).toMatchObject({ status: "processed", items_received: 5000 }));
	});

	it("of multi-byte text survives the split intact", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		const items = Array.from({ length: 1500 }, (_, i) => ({ id: `k${i}`, text: "日本語テキスト😀".repeat(20) }));
		const body = JSON.stringify(items);
		expect(new TextEncoder().encode(body).byteLength).toBeLessThanOrEqual(MAX_BODY_BYTES);
		await data(await ingest(c.key, body), 202);
		const snap = await eventually(async () => {
			const s = await snapshot(c.stream);
			expect(s.items).toHaveLength(1500);
			return s;
		}, 20_000);
		expect(snap.items.every((item, i) => item.value.text === items[i]?.text)).toBe(true);
	});

	it("accepts 10,000 items and refuses 10,001", async () => {
		const c = await connectorWithKey();
		const many = Array.from({ length: 10_001 }, () => ({}));
		const refused = await ingest(c.key, many);
		expect(refused.status).toBe(400);
		expect((await data<{ items_received: number }>(await ingest(c.key, many.slice(1)), 202)).items_received).toBe(10_000);
	});
});
