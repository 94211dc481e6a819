// The conformance scenarios' format (README.md, "The format") as zod schemas, for the TypeScript runner: a file
// with a member the format does not have, or without one it needs, fails to parse instead of testing less.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { FAULTS } from "./fault-proxy.ts";

const Generate = z.strictObject({
	generate: z.strictObject({
		count: z.number().int().min(1),
		prefix: z.string(),
		pad: z.number().int().min(0),
		start: z.number().int().min(0).optional(),
	}),
});
const Items = z.union([z.array(z.record(z.string(), z.unknown())), Generate]);
export type Items = z.infer<typeof Items>;
export type Item = Record<string, unknown>;

const ExpectedError = z.strictObject({
	status: z.number().int(),
	code: z.string(),
	detail_indexes: z.array(z.number().int().min(0)),
});

const Step = z.discriminatedUnion("op", [
	z.strictObject({
		op: z.literal("ingest"),
		items: Items,
		per_call: z.number().int().min(1).optional(),
		concurrency: z.number().int().min(1).optional(),
		error: ExpectedError.optional(),
	}),
	z.strictObject({ op: z.literal("delete"), keys: z.array(z.string()).min(1) }),
	z.strictObject({ op: z.literal("replace"), items: Items }),
	z.strictObject({ op: z.literal("clear") }),
	z.strictObject({
		op: z.literal("batch"),
		items: Items,
		max_items: z.number().int().min(1),
		failed: z
			.strictObject({
				status: z.number().int(),
				code: z.string(),
				ids: z.array(z.string()),
				rejected_ids: z.array(z.string()),
			})
			.optional(),
	}),
	z.strictObject({ op: z.literal("expect"), items: Items }),
]);
export type Step = z.infer<typeof Step>;

export const Scenario = z.strictObject({
	name: z.string().regex(/^[a-z0-9-]+$/),
	description: z.string().min(1),
	connector: z.strictObject({ item_key: z.string().min(1).nullable() }),
	schema: z.record(z.string(), z.unknown()).nullable(),
	faults: z.array(z.enum(FAULTS)),
	steps: z.array(Step).min(1),
	proxy: z.strictObject({
		all_faults_used: z.boolean().optional(),
		max_body_bytes: z.number().int().min(1).optional(),
		min_batches: z.number().int().min(1).optional(),
	}),
});
export type Scenario = z.infer<typeof Scenario>;

export const SCENARIO_DIR = path.join(import.meta.dirname, "scenarios");

/** Every scenario file, parsed; a file whose `name` is not its file name is refused too. */
export function loadScenarios(dir = SCENARIO_DIR): Scenario[] {
	const files = readdirSync(dir)
		.filter((file) => file.endsWith(".json"))
		.sort();
	return files.map((file) => {
		const scenario = Scenario.parse(JSON.parse(readFileSync(path.join(dir, file), "utf8")));
		if (`${scenario.name}.json` !== file) throw new Error(`${file}: its name is "${scenario.name}"`);
		for (const [index, step] of scenario.steps.entries()) {
			if (step.op !== "ingest") continue;
			if (step.concurrency !== undefined && step.per_call === undefined) throw new Error(`${file}: step ${index}: concurrency needs per_call`);
			if (step.error && (step.per_call !== undefined || step.concurrency !== undefined)) throw new Error(`${file}: step ${index}: error is for one call`);
		}
		return scenario;
	});
}

/** The items an `items` member stands for (README.md, "Items"). */
export function expandItems(items: Items): Item[] {
	if (Array.isArray(items)) return items;
	const { count, prefix, pad, start = 0 } = items.generate;
	return Array.from({ length: count }, (_, offset) => ({ id: `${prefix}${start + offset}`, n: start + offset, pad: "x".repeat(pad) }));
}
