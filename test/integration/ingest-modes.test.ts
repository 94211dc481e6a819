import { describe, expect, it } from "vitest";
import { connectorWithKey, eventually, failure, flushedLogs, ingest, snapshot } from "../helpers";

const keyed = () => connectorWithKey({ item_key: "id" });

/** Posts, expects 202, and waits until the stream has applied it. */
async function applied(c: { key: string; stream: string; id: string }, body: unknown, mode?: string) {
	const response = await ingest(c.key, body, mode ? { "X-Ingest-Mode": mode } : {});
	expect(response.status, await response.clone().text()).toBe(202);
	const { data } = (await response.json()) as { data: { request_id: string } };
	await eventually(async () => {
		const entries = await flushedLogs(c);
		expect(entries.find((entry) => entry.request_id === data.request_id)?.status).toBe("processed");
	});
	return data.request_id;
}

const keysOf = async (stream: string) => (await snapshot(stream)).items.map((item) => item.key).sort();

describe("X-Ingest-Mode", () => {
	it("deletes the items a request names; naming an unknown key is no error", async () => {
		const c = await keyed();
		await applied(c, [{ id: "a" }, { id: "b" }, { id: "c" }]);
		await applied(c, [{ id: "a" }, { id: "zzz" }], "delete");
		expect(await keysOf(c.stream)).toEqual(["b", "c"]);
	});

	it("replaces the whole stream, and an empty replace clears it", async () => {
		const c = await keyed();
		await applied(c, [{ id: "a", v: 1 }, { id: "b", v: 1 }]);
		await applied(c, [{ id: "b", v: 2 }, { id: "d", v: 2 }], "replace");
		const after = await snapshot(c.stream);
		expect(after.items.map((item) => [item.key, item.value.v])).toEqual([
			["b", 2],
			["d", 2],
		]);
		await applied(c, [], "replace");
		expect((await snapshot(c.stream)).items).toEqual([]);
	});

	it("logs the operation of every request", async () => {
		const c = await keyed();
		const upsert = await applied(c, [{ id: "a" }]);
		const deleted = await applied(c, [{ id: "a" }], "delete");
		const replaced = await applied(c, [], "replace");
		const entries = (await flushedLogs(c)) as unknown as { request_id: string; operation: string }[];
		const operations = new Map(entries.map((entry) => [entry.request_id, entry.operation]));
		expect([operations.get(upsert), operations.get(deleted), operations.get(replaced)]).toEqual(["upsert", "delete", "replace"]);
	});

	it("refuses an unknown mode, a delete without an item key, and an empty array outside replace", async () => {
		const c = await keyed();
		await failure(await ingest(c.key, [{ id: "a" }], { "X-Ingest-Mode": "merge" }), 400, "INVALID_PAYLOAD");
		await failure(await ingest(c.key, [], {}), 400, "INVALID_PAYLOAD");
		await failure(await ingest(c.key, [], { "X-Ingest-Mode": "delete" }), 400, "INVALID_PAYLOAD");
		const keyless = await connectorWithKey();
		const body = await failure(await ingest(keyless.key, [{ id: "a" }], { "X-Ingest-Mode": "delete" }), 400, "INVALID_PAYLOAD");
		expect(body.error.message).toContain("X-Item-Key");
		// A delete names items by the header's field too.
		await applied(keyless, [{ n: 1 }]);
		expect(await keysOf(keyless.stream)).toHaveLength(1);
	});

	it("binds an Idempotency-Key to the mode: the same body to delete under an upsert's key is refused", async () => {
		const c = await keyed();
		const headers = { "Idempotency-Key": `modes-${c.stream}` };
		expect((await ingest(c.key, [{ id: "a" }], headers)).status).toBe(202);
		await failure(await ingest(c.key, [{ id: "a" }], { ...headers, "X-Ingest-Mode": "delete" }), 422, "IDEMPOTENCY_KEY_REUSED");
	});
});
