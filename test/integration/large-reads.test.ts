import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { snapshotFrames } from "../../src/stream/frames";
import { ItemReader } from "../../src/stream/item-reader";
import type { StreamObject } from "../../src/stream/stream-object";
import { streamStub } from "../../src/stream/stub";
import { ADMIN_TOKEN, call, connectorWithKey, data, eventually, ingest, snapshot } from "../helpers";
import { connect, rendererToken } from "../renderer-client";

const COUNT = 20_000;

interface Page {
	seq: number;
	items: { key: string }[];
	next_after: number | null;
}
const PER_REQUEST = 2_500;

/** What the reads answered before they were paged: every item text at once, from one query. */
async function eagerTexts(stream: string): Promise<{ seq: number; texts: string[] }> {
	return runInDurableObject(streamStub(env, stream), (_instance: StreamObject, state) => {
		const reader = new ItemReader(state.storage.sql);
		return { seq: reader.seq(), texts: reader.itemTexts(0).toArray().map((row) => row.text) };
	});
}

describe("reads of a stream of 20,000 items", () => {
	let stream = "";
	beforeAll(async () => {
		const c = await connectorWithKey({ item_key: "id" });
		stream = c.stream;
		const items = Array.from({ length: COUNT }, (_, i) => ({ id: `k${i}`, pad: "x".repeat(250) }));
		for (let start = 0; start < COUNT; start += PER_REQUEST) {
			await data(await ingest(c.key, items.slice(start, start + PER_REQUEST)), 202);
		}
		await eventually(async () => expect((await snapshot(stream, "?limit=1")).seq).toBe(COUNT), 60_000);
	}, 120_000);

	it("answers GET /items with the same body as before, byte for byte, streamed in several chunks", async () => {
		const response = await call(`/api/streams/${stream}/items`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
		expect(response.status).toBe(200);
		expect(response.headers.get("Content-Type")).toBe("application/json; charset=utf-8");
		const reader = (response.body as ReadableStream<Uint8Array>).getReader();
		const decoder = new TextDecoder();
		let body = "";
		let chunks = 0;
		for (let next = await reader.read(); !next.done; next = await reader.read()) {
			chunks++;
			body += decoder.decode(next.value, { stream: true });
		}
		const { seq, texts } = await eagerTexts(stream);
		expect(seq).toBe(COUNT);
		expect(body).toBe(
			`{"success":true,"data":{"stream":${JSON.stringify(stream)},"seq":${seq},"resumed":false,"items":[${texts.join(",")}],"removed":[],"next_after":null}}`,
		);
		expect(chunks).toBeGreaterThan(1);
	});

	it("pages with after and limit to the same items", async () => {
		const keys: string[] = [];
		let after: number | null = 0;
		let pages = 0;
		while (after !== null) {
			const page: Page = await data<Page>(
				await call(`/api/streams/${stream}/items?after=${after}&limit=7000`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } }),
			);
			expect(page.seq).toBe(COUNT);
			keys.push(...page.items.map((item) => item.key));
			after = page.next_after;
			pages++;
		}
		expect(pages).toBe(3);
		const { texts } = await eagerTexts(stream);
		expect(keys).toEqual(texts.map((text) => (JSON.parse(text) as { key: string }).key));
		expect(new Set(keys).size).toBe(COUNT);
	});

	it("sends a socket the same snapshot frames as before: one seq, every item once, complete only on the last", async () => {
		const renderer = await connect(stream, `token=${(await rendererToken(stream)).token}`);
		const frames = await renderer.snapshot();
		const { seq, texts } = await eagerTexts(stream);
		expect(renderer.texts.slice(0, frames.length)).toEqual([...snapshotFrames(seq, texts.map((text, i) => ({ text, seq: i })))]);
		expect(frames.length).toBeGreaterThan(20);
		expect(frames.every((frame) => frame.type === "snapshot" && frame.seq === COUNT)).toBe(true);
		expect(frames.slice(0, -1).every((frame) => frame.complete === false)).toBe(true);
		expect(new Set(frames.flatMap((frame) => frame.items ?? []).map((item) => item.key)).size).toBe(COUNT);
		renderer.socket.close(1000, "done");
	});

	it("reads SQLite row by row as the frames are built", async () => {
		await runInDurableObject(streamStub(env, stream), (_instance: StreamObject, state) => {
			const cursor = new ItemReader(state.storage.sql).itemTexts(0);
			const frames = snapshotFrames(COUNT, cursor);
			const first = frames.next();
			expect(first.done).toBe(false);
			const inFirst = (JSON.parse(first.value as string) as { items: unknown[] }).items.length;
			// The first frame's items, the one that did not fit it, and nothing further.
			expect(cursor.rowsRead).toBeLessThanOrEqual(inFirst + 2);
			expect(cursor.rowsRead).toBeLessThan(COUNT / 10);
			for (const _ of frames);
			expect(cursor.rowsRead).toBe(COUNT);
		});
	});
});
