import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, admin, call, connectorWithKey, data, eventually, failure, ingest, logs, snapshot } from "../helpers";

const SCHEMA = {
	$schema: "https://json-schema.org/draft/2020-12/schema",
	type: "object",
	required: ["id", "price"],
	properties: {
		id: { type: "string" },
		price: { type: "number", minimum: 0 },
		status: { enum: ["open", "closed"] },
		address: { type: "object", required: ["city"], properties: { city: { type: "string" }, zip: { type: "string", pattern: "^[0-9]{5}$" } } },
		tags: { type: "array", items: { type: "string" } },
	},
};

const patch = (stream: string, schema: unknown) => admin(`/streams/${stream}`, { method: "PATCH", body: { schema } });

async function withSchema(schema: unknown = SCHEMA, itemKey: string | null = "id") {
	const c = await connectorWithKey({ item_key: itemKey });
	await data(await patch(c.stream, schema));
	return c;
}

const good = (id: string) => ({ id, price: 1 });

describe("a stream's schema, set and read", () => {
	it("PATCH sets it, GET /api/admin/streams[/:stream] and GET /api/streams/:stream/schema show it, null removes it", async () => {
		const c = await connectorWithKey();
		expect((await data<{ schema: unknown }>(await admin(`/streams/${c.stream}`))).schema).toBeNull();
		const set = await data<{ name: string; schema: unknown; item_count: number }>(await patch(c.stream, SCHEMA));
		expect(set).toMatchObject({ name: c.stream, schema: SCHEMA, item_count: 0 });
		expect((await data<{ schema: unknown }>(await admin(`/streams/${c.stream}`))).schema).toEqual(SCHEMA);
		const listed = await data<{ name: string; schema: unknown }[]>(await admin("/streams"));
		expect(listed.find((stream) => stream.name === c.stream)?.schema).toEqual(SCHEMA);
		const read = await call(`/api/streams/${c.stream}/schema`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
		expect(await data(read)).toEqual({ schema: SCHEMA });
		await data(await patch(c.stream, null));
		expect(await data(await call(`/api/streams/${c.stream}/schema`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } }))).toEqual({ schema: null });
	});

	it("GET /schema: a renderer token of the stream reads it; another stream's token 404; none 401", async () => {
		const c = await withSchema();
		const other = await connectorWithKey();
		const token = (s: string) => admin(`/streams/${s}/tokens`, { method: "POST" }).then((r) => data<{ token: string }>(r, 201));
		const mine = await token(c.stream);
		const theirs = await token(other.stream);
		const read = (bearer?: string) => call(`/api/streams/${c.stream}/schema`, { headers: bearer ? { Authorization: `Bearer ${bearer}` } : {} });
		expect(await data(await read(mine.token))).toEqual({ schema: SCHEMA });
		await failure(await read(theirs.token), 404, "STREAM_NOT_FOUND");
		await failure(await read(), 401, "UNAUTHORIZED");
		await failure(await read("rk_live_forged"), 401, "UNAUTHORIZED");
	});

	it("PATCH of an unknown stream is 404; a body without schema or with other fields is 400", async () => {
		await failure(await patch("no-such-stream", SCHEMA), 404, "STREAM_NOT_FOUND");
		const c = await connectorWithKey();
		await failure(await admin(`/streams/${c.stream}`, { method: "PATCH", body: {} }), 400, "INVALID_PAYLOAD");
		await failure(await admin(`/streams/${c.stream}`, { method: "PATCH", body: { schema: null, name: "x" } }), 400, "INVALID_PAYLOAD");
		await failure(await patch(c.stream, [SCHEMA]), 400, "INVALID_PAYLOAD");
	});

	it.each([
		["another draft", { $schema: "http://json-schema.org/draft-07/schema#", type: "object" }, ["schema", "$schema"], "2020-12"],
		["a top level that is not an object", { type: "array" }, ["schema", "type"], '"type": "object"'],
		["no top-level type", { properties: {} }, ["schema", "type"], '"type": "object"'],
		["a remote $ref", { type: "object", properties: { a: { $ref: "https://example.com/a.json" } } }, ["schema", "properties", "a", "$ref"], "Remote $ref"],
		["a relative $ref", { type: "object", properties: { a: { $ref: "other.json#/x" } } }, ["schema", "properties", "a", "$ref"], "Remote $ref"],
		["a $dynamicRef, which the validator would ignore", { type: "object", properties: { a: { $dynamicRef: "#x" } } }, ["schema", "properties", "a", "$dynamicRef"], "not supported"],
		["a $ref that does not resolve", { type: "object", properties: { a: { $ref: "#/$defs/missing" } } }, ["schema"], "does not resolve"],
		["a pattern that is no regular expression", { type: "object", properties: { a: { type: "string", pattern: "([" } } }, ["schema", "properties", "a", "pattern"], "regular expression"],
		["required that is not a list", { type: "object", required: "id" }, ["schema", "required"], "list of field names"],
		["an unknown type", { type: "object", properties: { a: { type: "text" } } }, ["schema", "properties", "a", "type"], "type must be"],
	])("refuses %s with a detail that says where and what", async (_name, schema, path, words) => {
		const c = await connectorWithKey();
		const body = await failure(await patch(c.stream, schema), 400, "INVALID_PAYLOAD");
		const detail = body.error.details?.find((d) => JSON.stringify(d.path) === JSON.stringify(path));
		expect(detail?.message, JSON.stringify(body.error.details)).toContain(words);
		// Nothing was stored.
		expect((await data<{ schema: unknown }>(await admin(`/streams/${c.stream}`))).schema).toBeNull();
	});

	it("refuses a schema over 65,536 bytes of JSON and takes one just under", async () => {
		const c = await connectorWithKey();
		const sized = (bytes: number) => {
			const base = { type: "object", description: "" };
			return { ...base, description: "x".repeat(bytes - JSON.stringify(base).length) };
		};
		expect(JSON.stringify(sized(65_537)).length).toBe(65_537);
		const body = await failure(await patch(c.stream, sized(65_537)), 400, "INVALID_PAYLOAD");
		expect(body.error.details).toEqual([{ path: ["schema"], message: expect.stringContaining("65,537 bytes") }]);
		await data(await patch(c.stream, sized(65_536)));
	});

	it("takes the draft's keywords: $defs with a local $ref, prefixItems, dependentRequired, unevaluatedProperties", async () => {
		const c = await withSchema({
			type: "object",
			$defs: { money: { type: "number", minimum: 0 } },
			properties: { id: { type: "string" }, price: { $ref: "#/$defs/money" }, pair: { type: "array", prefixItems: [{ type: "string" }, { type: "integer" }] } },
			dependentRequired: { price: ["currency"] },
			patternProperties: { "^x-": true },
			unevaluatedProperties: { type: "string" },
		});
		expect((await ingest(c.key, { id: "a", price: 2, currency: "EUR", pair: ["a", 1], "x-n": 1 })).status).toBe(202);
		const body = await failure(await ingest(c.key, { id: "b", price: -1, pair: ["a", "b"], extra: 3 }), 400, "INVALID_PAYLOAD");
		const problems = body.error.details?.map((d) => [d.path, d.message]);
		expect(problems).toEqual(
			expect.arrayContaining([
				[[0, "price"], expect.stringContaining("less than 0")],
				[[0, "currency"], 'missing field "currency", required when "price" is present'],
				[[0, "pair", 1], "must be integer"],
				[[0, "extra"], "must be string"],
			]),
		);
	});
});

describe("items checked against the schema at the edge", () => {
	it("a missing required field: the path ends with its name; nothing is queued", async () => {
		const c = await withSchema();
		const body = await failure(await ingest(c.key, [good("a"), { id: "b" }]), 400, "INVALID_PAYLOAD");
		expect(body.error.message).toBe("1 of 2 items do not match the stream's schema.");
		expect(body.error.details).toEqual([{ index: 1, path: [1, "price"], message: 'missing required field "price"' }]);
		expect((await snapshot(c.stream)).items).toEqual([]);
	});

	it("types, enums, patterns and nested paths, in index order", async () => {
		const c = await withSchema();
		const body = await failure(
			await ingest(c.key, [
				{ id: "a", price: "12" },
				good("b"),
				{ id: "c", price: 1, status: "lost", address: { zip: "12" }, tags: ["x", 7] },
			]),
			400,
			"INVALID_PAYLOAD",
		);
		expect(body.error.message).toBe("2 of 3 items do not match the stream's schema.");
		expect(body.error.details).toEqual([
			{ index: 0, path: [0, "price"], message: "must be number" },
			{ index: 2, path: [2, "status"], message: 'must be one of ["open","closed"]' },
			{ index: 2, path: [2, "address", "city"], message: 'missing required field "city"' },
			{ index: 2, path: [2, "address", "zip"], message: "must match the schema's pattern" },
			{ index: 2, path: [2, "tags", 1], message: "must be string" },
		]);
	});

	it("10,000 bad items: 100 details, the count of every failed item in the message", async () => {
		const c = await withSchema();
		const items = Array.from({ length: 10_000 }, (_, i) => ({ id: `i${i}` }));
		const body = await failure(await ingest(c.key, items), 400, "INVALID_PAYLOAD");
		expect(body.error.details).toHaveLength(100);
		expect(body.error.details?.[99]).toEqual({ index: 99, path: [99, "price"], message: 'missing required field "price"' });
		expect(body.error.message).toBe("10,000 of 10,000 items do not match the stream's schema. The first 100 of 10,000 problems are listed.");
	});

	it("item-key problems and schema problems in one 400", async () => {
		const c = await withSchema();
		const body = await failure(await ingest(c.key, [{ price: 1 }, { id: "b", price: -2 }, good("c")]), 400, "INVALID_PAYLOAD");
		expect(body.error.message).toBe(`2 of 3 items lack a valid item key "id" or do not match the stream's schema.`);
		expect(body.error.details?.map((d) => d.path)).toEqual([[0, "id"], [0, "id"], [1, "price"]]);
		expect(body.error.details?.[0]?.message).toContain('needs "id"');
		expect(body.error.details?.[1]?.message).toBe('missing required field "id"');
	});

	it("replace mode is checked; delete mode is not", async () => {
		const c = await withSchema();
		await failure(await ingest(c.key, [{ id: "a" }], { "X-Ingest-Mode": "replace" }), 400, "INVALID_PAYLOAD");
		expect((await ingest(c.key, [], { "X-Ingest-Mode": "replace" })).status).toBe(202);
		// A delete names items by key: {id} alone is no item of the schema, and need not be.
		expect((await ingest(c.key, [{ id: "a" }], { "X-Ingest-Mode": "delete" })).status).toBe(202);
	});

	it("a schema set applies at once in this isolate, and removing it lets the items in again", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		expect((await ingest(c.key, [{ id: "a" }])).status).toBe(202);
		await data(await patch(c.stream, SCHEMA));
		await failure(await ingest(c.key, [{ id: "a" }]), 400, "INVALID_PAYLOAD");
		await data(await patch(c.stream, { ...SCHEMA, required: ["id"] }));
		expect((await ingest(c.key, [{ id: "b" }])).status).toBe(202);
		await data(await patch(c.stream, null));
		expect((await ingest(c.key, [{ id: "c", price: "any" }])).status).toBe(202);
		await eventually(async () => expect((await snapshot(c.stream)).items.map((item) => item.key).sort()).toEqual(["a", "b", "c"]));
	});

	it("a schema changed elsewhere (D1 written behind this isolate's back) is not seen before the cache's TTL: the check uses the cached validator", async () => {
		const c = await withSchema();
		// Warm this isolate's cache with the schema, then remove it in D1 as another isolate would.
		await failure(await ingest(c.key, [{ id: "a" }]), 400, "INVALID_PAYLOAD");
		await env.DB.prepare("UPDATE streams SET schema = NULL WHERE name = ?").bind(c.stream).run();
		await failure(await ingest(c.key, [{ id: "a" }]), 400, "INVALID_PAYLOAD");
	});

	it("the rejected request's log entry names its first problems", async () => {
		const c = await withSchema();
		const items = [{ id: "a", price: "x" }, good("b"), { id: "c" }, { price: 1 }, { id: "e", price: -1 }, { id: "f", price: true }, { id: "g" }];
		const response = await ingest(c.key, items);
		const body = await failure(response, 400, "INVALID_PAYLOAD");
		await eventually(async () => {
			const entry = (await logs(c.id)).find((e) => e.request_id === body.request_id);
			expect(entry?.status).toBe("rejected");
			expect(entry?.error).toBe(
				`INVALID_PAYLOAD: 6 of 7 items lack a valid item key "id" or do not match the stream's schema. First problems: [0].price: must be number; [2].price: missing required field "price"; [3].id: ${body.error.details?.[2]?.message}; [3].id: missing required field "id"; [4].price: -1 is less than 0; …`,
			);
		});
	});
});
