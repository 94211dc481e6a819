// The stream-schema section of `npm run bench:overhead`: each validator's cost, and the real route's with a schema.
import { machine } from "./results.ts";
import { fmt, table } from "./stats.ts";

/** The medians of a row's rounds. */
export interface RunSummary {
	rps: number;
	p50: number;
	p99: number;
	cpu: number;
	failed: number;
}

/** How the rows were run, for the section's text. */
export interface SchemaRun {
	connections: number;
	rounds: number;
	seconds: number;
	/** How many times the validators' own rows validate each 100-item body. */
	repeat: number;
}

/** The stream-schema section: each validator's cost over parsing alone, and the real route's with a schema over without. */
export function schemaResults(rows: { scenario: { name: string; items: number }; summary: RunSummary }[], run: SchemaRun): string {
	const { connections: FIRST_LEVEL, rounds: ROUNDS, seconds: SECONDS, repeat: REPEAT } = run;
	const byName = new Map(rows.map((row) => [row.scenario.name, row.summary]));
	const get = (name: string) => byName.get(name) as RunSummary;
	const perItem = (library: string) => (get(`validate 100 items × ${REPEAT}: ${library}`).cpu - get("validate 100 items: none").cpu) / (100 * REPEAT);
	const cost = (items: number) => {
		const plural = items === 1 ? "item" : "items";
		const plain = get(`POST /api/ingest, ${items} ${plural}, no schema`);
		const checked = get(`POST /api/ingest, ${items} ${plural}, stream schema`);
		return { items, route: checked.cpu - plain.cpu, plain, checked };
	};
	const costs = [cost(1), cost(100)];
	const validation = { cfworker: perItem("cfworker"), zod: perItem("zod") };
	const columns = ["scenario", "requests/s", "p50 ms", "p99 ms", "items/s", "server CPU ms / request", "non-2xx"];
	const tableRows = rows.map(({ scenario, summary: s }) => [scenario.name, fmt(s.rps, 0), fmt(s.p50, 1), fmt(s.p99, 1), fmt(s.rps * scenario.items, 0), fmt(s.cpu), s.failed]);
	return [
		"## Stream schemas: the validators on the hot path",
		"",
		`Measured ${new Date().toISOString().slice(0, 10)} on ${machine()} by \`npm run bench:overhead\` (${FIRST_LEVEL} connections, ${ROUNDS} rounds of ${SECONDS} s per row, interleaved; medians). The schema is test/fixtures/bench-schema.ts: 8 properties, a nested object with its own required fields, enums, a date-time and an email format, patterns, number ranges; every item matches it. \`validate …\` rows are the test Worker's \`POST /api/bench/validate/:library\`: parse the body, validate every item with a validator built once per isolate (\`none\` only parses). The \`POST /api/ingest\` rows are the real route on a stream with and without the schema, same items.`,
		"",
		table(columns, tableRows),
		"",
		`The validators' own cost, from the rows that validate each 100-item body ${REPEAT} times (${(100 * REPEAT).toLocaleString("en-US")} items per request) over parsing alone: **${fmt(validation.cfworker * 1000, 1)} µs of server CPU per item with @cfworker/json-schema, ${fmt(validation.zod * 1000, 1)} µs with zod's \`z.fromJSONSchema\`** (${fmt(validation.cfworker / validation.zod)} × zod's).`,
		"",
		...costs.map(
			(c) =>
				`The real route, ${c.items === 1 ? "1 item" : `${c.items} items`} per request, with the schema against without: ${fmt(c.plain.cpu)} → ${fmt(c.checked.cpu)} ms of server CPU per request (${c.route >= 0 ? "+" : ""}${fmt(c.route)}), ${fmt(c.plain.rps, 0)} → ${fmt(c.checked.rps, 0)} requests/s.`,
		),
		"",
		"A request's CPU moves by a few milliseconds from run to run on this shared machine, more than validating 100 items costs: the route rows say the check is lost in that noise, the repeated rows say what it costs.",
	].join("\n");
}
