import { describe, expect, it } from "vitest";
import { call, ADMIN_TOKEN, connectorWithKey, data, eventually, ingest, snapshot } from "../helpers";
import { connect, rendererToken } from "../renderer-client";

/** Posts and waits until the stream's seq reaches `seq`. */
async function post(c: { key: string; stream: string }, body: unknown, seq: number, mode?: string) {
	await data(await ingest(c.key, body, mode ? { "X-Ingest-Mode": mode } : {}), 202);
	await eventually(async () => expect((await snapshot(c.stream)).seq).toBe(seq));
}

describe("renderers see deletes, replaces and clears", () => {
	it("gets deletes as removed keys, a replace and a clear as fresh snapshots", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		await post(c, [{ id: "a" }, { id: "b" }], 2);
		const renderer = await connect(c.stream, `token=${(await rendererToken(c.stream)).token}`);
		await renderer.snapshot();

		await post(c, [{ id: "a" }], 3, "delete");
		const [deleted] = await renderer.next();
		expect(deleted).toMatchObject({ type: "changes", from: 3, to: 3, items: [], removed: ["a"], complete: true });

		// Replace: "c" written (seq 4), "b" removed, the reset's own seq 5.
		await post(c, [{ id: "c", v: 1 }], 5, "replace");
		const replaced = await renderer.snapshot();
		expect(replaced.at(-1)).toMatchObject({ type: "snapshot", seq: 5, complete: true });
		expect(replaced.flatMap((frame) => frame.items ?? []).map((item) => item.key)).toEqual(["c"]);

		await post(c, [], 6, "replace");
		const cleared = await renderer.snapshot();
		expect(cleared.at(-1)).toMatchObject({ type: "snapshot", seq: 6, items: [] });
	});

	it("answers a resume from before the last replace with a snapshot, over the socket and over HTTP", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		await post(c, [{ id: "a" }, { id: "b" }], 2);
		await post(c, [{ id: "x" }], 4, "replace");
		await post(c, [{ id: "y" }], 5);

		const renderer = await connect(c.stream, `token=${(await rendererToken(c.stream)).token}&since=2`);
		const frames = await renderer.snapshot();
		expect(frames.flatMap((frame) => frame.items ?? []).map((item) => item.key)).toEqual(["x", "y"]);

		const read = async (since: number) =>
			data<{ resumed: boolean; items: { key: string }[]; removed?: string[] }>(
				await call(`/api/streams/${c.stream}/items?since=${since}`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } }),
			);
		expect(await read(2)).toMatchObject({ resumed: false, items: [{ key: "x" }, { key: "y" }] });
		// From the replace's own seq on, a resume still works.
		expect(await read(4)).toMatchObject({ resumed: true, items: [{ key: "y" }], removed: [] });
	});
});
