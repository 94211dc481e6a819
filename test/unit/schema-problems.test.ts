import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { firstProblems, problemPlace } from "../../src/model/item-problems";
import { pointerPath, schemaProblems } from "../../src/model/schema-problems";
import { StreamSchemas, compileSchema } from "../../src/services/schemas";
import { FakeClock } from "./fake-clock";

const unit = (keyword: string, instanceLocation: string, error: string, keywordLocation = `#/${keyword}`) => ({ keyword, instanceLocation, keywordLocation, error });

describe("schemaProblems: a validator's output as the API's problems", () => {
	it("drops wrappers, names a missing field at the end of its path, keeps array indexes as numbers", () => {
		const item = { a: { b: [1, { c: 2 }] } };
		const problems = schemaProblems(3, item, [
			unit("properties", "#", 'Property "a" does not match schema.'),
			unit("required", "#/a/b/1", 'Instance does not have required property "d".'),
			unit("type", "#/a/b/1/c", 'Instance type "number" is invalid. Expected "string", "null".'),
		]);
		expect(problems).toEqual([
			{ index: 3, path: [3, "a", "b", 1, "d"], message: 'missing required field "d"' },
			{ index: 3, path: [3, "a", "b", 1, "c"], message: "must be string or null" },
		]);
	});

	it("folds the branches of a failed anyOf into its one problem", () => {
		const problems = schemaProblems(0, { x: 1 }, [
			unit("anyOf", "#/x", "Instance does not match any subschemas.", "#/properties/x/anyOf"),
			unit("type", "#/x", 'Instance type "number" is invalid. Expected "string".', "#/properties/x/anyOf/0/type"),
			unit("type", "#/x", 'Instance type "number" is invalid. Expected "boolean".', "#/properties/x/anyOf/1/type"),
		]);
		expect(problems).toEqual([{ index: 0, path: [0, "x"], message: "must match at least one of the schemas in anyOf" }]);
	});

	it("decodes pointer escapes: ~1 is /, ~0 is ~, percent-encoding; digits are indexes only inside arrays", () => {
		const item = { "a/b": { "~c": 1 }, "0": { "1": true }, "é x": [0] };
		expect(pointerPath("#/a~1b/~0c", item)).toEqual(["a/b", "~c"]);
		expect(pointerPath("#/0/1", item)).toEqual(["0", "1"]);
		expect(pointerPath(`#/${encodeURI("é x")}/0`, item)).toEqual(["é x", 0]);
		expect(pointerPath("#", item)).toEqual([]);
	});

	it("compiled: every problem of the listed items, one per item past the 100th problem, every failing item counted", () => {
		const compiled = compileSchema({ type: "object", properties: { a: { type: "string" }, b: { type: "string" } } });
		const problems = compiled.check(Array.from({ length: 200 }, () => ({ a: 1, b: 2 })));
		// 50 items give two problems each (100 listed), the other 150 one each (short-circuited).
		expect(problems.slice(0, 2).map((p) => p.path)).toEqual([[0, "a"], [0, "b"]]);
		expect(new Set(problems.map((p) => p.index)).size).toBe(200);
		expect(problems).toHaveLength(250);
		expect(compiled.check([{ a: "1", b: "2" }])).toEqual([]);
	});
});

describe("the log's first problems", () => {
	it("prints places as [index].field[n] and names at most five, then …", () => {
		expect(problemPlace([0, "price"])).toBe("[0].price");
		expect(problemPlace([3, "tags", 1])).toBe("[3].tags[1]");
		expect(problemPlace([2])).toBe("[2]");
		const details = Array.from({ length: 6 }, (_, i) => ({ index: i, path: [i, "p"], message: "must be number" }));
		expect(firstProblems(details.slice(0, 2))).toBe(" First problems: [0].p: must be number; [1].p: must be number");
		expect(firstProblems(details)).toMatch(/\[4\]\.p: must be number; …$/);
		expect(firstProblems([{ path: ["body"], message: "no" }])).toBe("");
		expect(firstProblems(undefined)).toBe("");
	});
});

describe("StreamSchemas: the per-isolate cache of compiled schemas", () => {
	const ttlMs = Number(env.AUTH_CACHE_TTL_SECONDS ?? 30) * 1000;

	function cache() {
		const clock = new FakeClock(1_000_000);
		const stored = new Map<string, string | null>([["s", JSON.stringify({ type: "object", required: ["id"] })]]);
		let reads = 0;
		const schemas = new StreamSchemas(async (_env, stream) => {
			reads += 1;
			return stored.get(stream) ?? null;
		}, clock.now);
		return { clock, stored, schemas, reads: () => reads };
	}
	const fails = async (schemas: StreamSchemas) => ((await schemas.resolve(env, "s"))?.check([{}]) ?? []).length > 0;

	it("compiles once and reads storage once per TTL, however many requests follow the first", async () => {
		const { schemas, reads, clock } = cache();
		const first = await schemas.resolve(env, "s");
		await Promise.all([schemas.resolve(env, "s"), schemas.resolve(env, "s"), schemas.resolve(env, "s")]);
		await clock.advance(ttlMs - 1);
		expect(await schemas.resolve(env, "s")).toBe(first);
		expect(reads()).toBe(1);
	});

	it("never hands a request another request's pending read (workerd would cancel it): concurrent misses read each", async () => {
		const { schemas, reads } = cache();
		const pending = [schemas.resolve(env, "s"), schemas.resolve(env, "s")];
		expect(pending[0]).not.toBe(pending[1]);
		await Promise.all(pending);
		expect(reads()).toBe(2);
	});

	it("does not store a read that started before the schema changed here", async () => {
		const { schemas, stored } = cache();
		const before = schemas.resolve(env, "s");
		stored.set("s", null);
		schemas.forget("s");
		expect((await before)?.check([{}]).length).toBeGreaterThan(0);
		expect(await schemas.resolve(env, "s")).toBeNull();
	});

	it("another isolate's change is seen once the TTL has passed, not before", async () => {
		const { schemas, stored, clock } = cache();
		expect(await fails(schemas)).toBe(true);
		stored.set("s", null);
		await clock.advance(ttlMs - 1);
		expect(await fails(schemas)).toBe(true);
		await clock.advance(1);
		expect(await schemas.resolve(env, "s")).toBeNull();
		expect(ttlMs).toBeLessThanOrEqual(60_000);
	});

	it("forget drops the entry at once (the isolate that changed the schema)", async () => {
		const { schemas, stored } = cache();
		expect(await fails(schemas)).toBe(true);
		stored.set("s", JSON.stringify({ type: "object" }));
		schemas.forget("s");
		expect(await fails(schemas)).toBe(false);
	});

	it("a failed read is not cached", async () => {
		const clock = new FakeClock(0);
		let calls = 0;
		const schemas = new StreamSchemas(async () => {
			calls += 1;
			if (calls === 1) throw new Error("D1 down");
			return null;
		}, clock.now);
		await expect(schemas.resolve(env, "s")).rejects.toThrow("D1 down");
		expect(await schemas.resolve(env, "s")).toBeNull();
	});
});
