import { describe, expect, it } from "vitest";
import { MAX_BODY_BYTES } from "../../src/edge/ingest/body-reader";
import { connectorWithKey, data, eventually, ingest, logs, snapshot } from "../helpers";

/** Keyed items whose `text` repeats `sample`, as many as fit in the 1 MB body limit. */
function itemsOf(sample: string): { id: string; text: string }[] {
	const items: { id: string; text: string }[] = [];
	// "[" and "]", and a comma between items.
	let size = 1;
	for (;;) {
		const item = { id: `k${items.length}`, text: sample.repeat(20 + (items.length % 5) * 10) };
		const more = new TextEncoder().encode(JSON.stringify(item)).byteLength + 1;
		if (size + more > MAX_BODY_BYTES) return items;
		items.push(item);
		size += more;
	}
}

// The real queue binding: miniflare refuses a message over 128,000 bytes as workerd serialised it.
describe("a 1 MB body through the real queue binding", () => {
	it.each([
		["nothing but quotes, which JSON escapes twice", '"'.repeat(64)],
		["quotes, backslashes and newlines", 'a "quoted" \\ line\n'],
		["CJK, emoji and ASCII mixed", "東京 🚀 Zürich ascii "],
	])("of %s is queued within the message limits and applied whole", async (_, sample) => {
		const c = await connectorWithKey({ item_key: "id" });
		const items = itemsOf(sample);
		expect(new TextEncoder().encode(JSON.stringify(items)).byteLength).toBeGreaterThan(MAX_BODY_BYTES - 5_000);
		const accepted = await data<{ items_received: number }>(await ingest(c.key, items), 202);
		expect(accepted.items_received).toBe(items.length);
		const snap = await eventually(async () => {
			const s = await snapshot(c.stream);
			expect(s.items).toHaveLength(items.length);
			return s;
		}, 20_000);
		expect(snap.items.map((item) => item.value)).toEqual(items);
		await eventually(async () => expect((await logs(c.id))[0]).toMatchObject({ status: "processed" }));
	});
});
