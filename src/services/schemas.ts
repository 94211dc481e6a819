import { type Schema, Validator, dereference } from "@cfworker/json-schema";
import { config } from "../model/config";
import type { ErrorDetail } from "../model/errors";
import type { ItemProblem } from "../model/item-problems";
import { MAX_LISTED_PROBLEMS } from "../model/item-problems";
import { schemaProblems } from "../model/schema-problems";
import { streamSchemaProblems } from "../model/stream-schema";
import { getStreamSchemaText } from "../storage/streams";
import { TtlCache } from "./auth/ttl-cache";

/** A stream's schema, compiled once per isolate: checks items without re-reading or re-walking the schema. */
export interface CompiledSchema {
	/** Every problem of the items that fail, in index order; past the listed bound only the first problem of each item is looked for. */
	check(items: readonly unknown[]): ItemProblem[];
}

/**
 * Builds the validators for a schema. @cfworker/json-schema interprets the schema (no
 * eval or new Function, which Workers forbid); its constructor resolves the references
 * once. Two of them: one that reports every problem of an item, for the items whose
 * problems are listed, and one that stops at an item's first, to count the rest cheaply.
 */
export function compileSchema(schema: Record<string, unknown>): CompiledSchema {
	// The validator annotates the schema object it is given; the caller's stays as it was.
	const full = new Validator(structuredClone(schema) as Schema, "2020-12", false);
	const first = new Validator(structuredClone(schema) as Schema, "2020-12", true);
	return {
		check(items) {
			const problems: ItemProblem[] = [];
			items.forEach((item, index) => {
				const listing = problems.length < MAX_LISTED_PROBLEMS;
				const result = (listing ? full : first).validate(item);
				if (!result.valid) problems.push(...schemaProblems(index, item, result.errors));
			});
			return problems;
		},
	};
}

/**
 * Every reason a schema cannot be a stream's, as details under `schema`: the rules of
 * model/stream-schema, then whether the validator takes it (every `$ref` resolves, it
 * runs without throwing on an empty item).
 */
export function schemaRefusals(schema: Record<string, unknown>): ErrorDetail[] {
	const problems = streamSchemaProblems(schema);
	if (problems.length > 0) return problems;
	try {
		const copy = structuredClone(schema);
		const lookup = dereference(copy as Schema);
		unresolvedRef(copy, lookup);
		new Validator(copy as Schema, "2020-12", false).validate({});
		return [];
	} catch (error) {
		return [{ path: ["schema"], message: `The validator cannot use this schema: ${(error instanceof Error ? error.message : String(error)).split("\n")[0]}` }];
	}
}

// Instance data, not schemas: a "$ref" inside them is a value.
const DATA_KEYWORDS = new Set(["enum", "const", "default", "examples"]);

/** Throws for the first `$ref` the lookup cannot resolve: dereferencing does not check them, validating throws only when one is reached. */
function unresolvedRef(node: unknown, lookup: Record<string, unknown>, path = ""): void {
	if (node === null || typeof node !== "object") return;
	if (Array.isArray(node)) return node.forEach((sub, index) => unresolvedRef(sub, lookup, `${path}/${index}`));
	const record = node as Record<string, unknown>;
	const absolute = record.__absolute_ref__;
	if (typeof record.$ref === "string" && (typeof absolute !== "string" || lookup[absolute] === undefined)) {
		throw new Error(`$ref "${record.$ref}" at ${path || "/"} does not resolve within the schema.`);
	}
	for (const [key, value] of Object.entries(record)) if (!DATA_KEYWORDS.has(key)) unresolvedRef(value, lookup, `${path}/${key}`);
}

/**
 * This isolate's compiled schemas by stream. An entry lives AUTH_CACHE_TTL_SECONDS
 * (at most 60 s), which bounds how long another isolate checks against a schema that
 * changed; the isolate that changed it forgets it at once. The cache holds compiled
 * schemas, never a pending read: workerd cancels a request that awaits I/O another
 * request started (the one that started it may end first), so concurrent misses each
 * read D1, and after that the hot path costs no D1 read until the entry expires.
 */
export class StreamSchemas {
	readonly #cache: TtlCache<CompiledSchema | null>;
	// Bumped by `forget`: a read that started before a change must not store what it read.
	readonly #generation = new Map<string, number>();

	constructor(
		readonly read: (env: Env, stream: string) => Promise<string | null> = (env, stream) => getStreamSchemaText(env.DB, stream),
		now: () => number = Date.now,
	) {
		this.#cache = new TtlCache(1_000, now);
	}

	/** The stream's compiled schema, or null when it has none. A failed read is not remembered. */
	async resolve(env: Env, stream: string): Promise<CompiledSchema | null> {
		const cached = this.#cache.get(stream);
		if (cached !== undefined) return cached;
		const generation = this.#generation.get(stream) ?? 0;
		const text = await this.read(env, stream);
		const compiled = text === null ? null : compileSchema(JSON.parse(text) as Record<string, unknown>);
		if ((this.#generation.get(stream) ?? 0) === generation) this.#cache.set(stream, compiled, config(env).AUTH_CACHE_TTL_SECONDS * 1000);
		return compiled;
	}

	/** Forgets a stream's schema in this isolate, after it changed here. */
	forget(stream: string): void {
		this.#generation.set(stream, (this.#generation.get(stream) ?? 0) + 1);
		this.#cache.delete(stream);
	}
}

export const streamSchemas = new StreamSchemas();
