// `npm run bench:overhead`: POST /api/ingest against the runtime's floor: the same load, in the same run, interleaved.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { type RunningServer, TEST_WORKER, startServer } from "../scripts/dev-server.ts";
import { runLoad } from "./lib/load.ts";
import { machine, writeSection } from "./lib/results.ts";
import { groupCpuMs, serverProcessGroup } from "./lib/server-cpu.ts";
import { benchStream } from "./lib/setup.ts";
import { streamItemCount, waitForSeq } from "./lib/stream-state.ts";
import { fmt, quantile, table } from "./lib/stats.ts";
import { BENCH_SCHEMA, benchItem } from "../test/fixtures/bench-schema.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/**
 * Concurrent connections, one table each: 10 leaves the real route waiting on its queue send with
 * cores to spare (latency-bound); 50 keeps the server busy, so requests/s is its capacity.
 */
const LEVELS = (process.env.BENCH_CONNECTIONS ?? "10,50").split(",").map(Number);
const [FIRST_LEVEL = 10] = LEVELS;
/** The consumer's max_batch_timeout (seconds) of the second server, which trades apply latency for batch size. */
const BATCH_TIMEOUT = Number(process.env.BENCH_BATCH_TIMEOUT ?? 0.05);
/** BENCH_SCHEMA_ONLY=1 measures only the stream-schema rows and rewrites only their section. */
const SCHEMA_ONLY = process.env.BENCH_SCHEMA_ONLY === "1";
/** How many times the validators' own rows validate each 100-item body. */
const REPEAT = 20;

/** A server under load and the process group whose CPU time is its cost. */
interface Target {
	server: RunningServer;
	group: number;
}

interface Scenario {
	target: Target;
	connections: number;
	name: string;
	items: number;
	path: string;
	headers: Record<string, string>;
	perRequest?: () => Record<string, string>;
	/** The stream the consumer applies to, drained after each run. */
	stream?: string;
	/** The body, when not itemsBody(items). */
	body?: string;
}

interface Summary {
	rps: number;
	p50: number;
	p99: number;
	cpu: number;
	failed: number;
}

interface Sample {
	rps: number;
	p50: number;
	p99: number;
	cpuPerRequest: number;
	failed: number;
	ok: number;
}

const itemsBody = (count: number) =>
	JSON.stringify(
		count === 1
			? { id: "item-0", region: "North", revenue: 1200 }
			: Array.from({ length: count }, (_, i) => ({ id: `item-${i}`, region: "North", revenue: i })),
	);
const median = (values: number[]) => quantile(values, 0.5);
/** A body of items valid against BENCH_SCHEMA. */
const schemaBody = (count: number) => JSON.stringify(count === 1 ? benchItem(0) : Array.from({ length: count }, (_, i) => benchItem(i)));

/**
 * wrangler.toml with the ingest consumer's max_batch_timeout changed, written beside it
 * (its paths are relative to it) for the batching comparison, and removed afterwards.
 */
function batchingConfig(seconds: number): string {
	const root = path.resolve(import.meta.dirname, "..");
	const original = readFileSync(path.join(root, "wrangler.toml"), "utf8");
	const pattern = /(queue = "datapool-ingest"\nmax_batch_size = \d+\n(?:#.*\n)*max_batch_timeout = )0\n/;
	if (!pattern.test(original)) throw new Error("wrangler.toml: the ingest consumer's max_batch_timeout = 0 was not found");
	const file = path.join(root, ".wrangler-bench-batching.toml");
	writeFileSync(file, original.replace(pattern, `$1${seconds}\n`));
	return file;
}

const toTarget = (server: RunningServer): Target => ({ server, group: serverProcessGroup(Number(new URL(server.url).port)) });
const configFile = batchingConfig(BATCH_TIMEOUT);
const servers: RunningServer[] = [];
try {
	servers.push(await startServer({ args: [TEST_WORKER] }));
	servers.push(await startServer({ args: [TEST_WORKER, "--config", configFile] }));
	const [main, batching] = servers.map(toTarget) as [Target, Target];
	const server = main.server;
	const json = { "Content-Type": "application/json" };
	const floorRow = (target: Target, name: string, route = "floor"): Scenario => ({
		target,
		connections: FIRST_LEVEL,
		name,
		items: 1,
		path: `/api/bench/${route}`,
		headers: json,
	});
	const real = async (
		name: string,
		items: number,
		itemKey: string | null = "id",
		perRequest?: () => Record<string, string>,
		target = main,
	): Promise<Scenario> => {
		const made = await benchStream(target.server.url, target.server.adminToken, itemKey);
		const headers = { ...json, Authorization: `Bearer ${made.key}` };
		return { target, connections: FIRST_LEVEL, name, items, path: "/api/ingest", headers, perRequest, stream: made.stream };
	};
	const base: Scenario[] = [
		floorRow(main, "floor: read body, answer 202"),
		floorRow(main, "floor + rate-limiter lease", "floor-rate-limited"),
		await real("POST /api/ingest, 1 item", 1),
		await real("POST /api/ingest, 10 items", 10),
		await real("POST /api/ingest, 100 items", 100),
		await real("POST /api/ingest, 1,000 items", 1000),
		// Keyless, so that every applied request adds items: the stream's seq then counts the requests applied.
		await real("POST /api/ingest, 1 item + Idempotency-Key", 1, null, () => ({ "Idempotency-Key": crypto.randomUUID() })),
	];
	// Stream schemas: each candidate validator alone (the test Worker's bench route: parse, then validate every item),
	// and the real route on a stream with BENCH_SCHEMA against one without, with the same items.
	const validateRow = (library: string, items: number, repeat = 1): Scenario => ({
		target: main,
		connections: FIRST_LEVEL,
		name: `validate ${items} item${items === 1 ? "" : "s"}${repeat === 1 ? "" : ` × ${repeat}`}: ${library}`,
		items,
		path: `/api/bench/validate/${library}?repeat=${repeat}`,
		headers: json,
		body: schemaBody(items),
	});
	const withSchema = async (scenario: Scenario): Promise<Scenario> => {
		const response = await fetch(`${server.url}/api/admin/streams/${scenario.stream}`, {
			method: "PATCH",
			headers: { Authorization: `Bearer ${server.adminToken}`, ...json },
			body: JSON.stringify({ schema: BENCH_SCHEMA }),
		});
		if (!response.ok) throw new Error(`PATCH schema: ${response.status} ${await response.text()}`);
		return scenario;
	};
	const schemaScenarios: Scenario[] = [];
	for (const items of [1, 100]) {
		const plural = items === 1 ? "item" : "items";
		schemaScenarios.push(
			validateRow("none", items),
			validateRow("cfworker", items),
			validateRow("zod", items),
			{ ...(await real(`POST /api/ingest, ${items} ${plural}, no schema`, items)), body: schemaBody(items) },
			await withSchema({ ...(await real(`POST /api/ingest, ${items} ${plural}, stream schema`, items)), body: schemaBody(items) }),
		);
	}
	// Each body validated REPEAT times: the validators' own CPU, well above the noise of a request's.
	schemaScenarios.push(validateRow("cfworker", 100, REPEAT), validateRow("zod", 100, REPEAT));
	const batchingScenarios: Scenario[] = [
		floorRow(batching, `floor, consumer max_batch_timeout = ${BATCH_TIMEOUT} s`),
		await real(`POST /api/ingest, 1 item, consumer max_batch_timeout = ${BATCH_TIMEOUT} s`, 1, "id", undefined, batching),
	];
	// The same scenarios (same connectors and streams) at each level of concurrency.
	const levels = LEVELS.map((connections) => base.map((scenario) => ({ ...scenario, connections })));
	const all = SCHEMA_ONLY ? schemaScenarios : [...levels.flat(), ...batchingScenarios, ...schemaScenarios];
	const samples = new Map<Scenario, Sample[]>(all.map((scenario) => [scenario, []]));

	const measure = async (scenario: Scenario, seconds: number): Promise<Sample> => {
		const { server: target, group } = scenario.target;
		const before = groupCpuMs(group);
		const result = await runLoad({
			url: `${target.url}${scenario.path}`,
			headers: scenario.headers,
			body: scenario.body ?? itemsBody(scenario.items),
			perRequest: scenario.perRequest,
			connections: scenario.connections,
			seconds,
		});
		// The consumer's work counts too: the request is not done until its items are applied.
		if (scenario.stream) await waitForSeq(target.url, target.adminToken, scenario.stream, Number.POSITIVE_INFINITY, 1500);
		const cpu = groupCpuMs(group) - before;
		return {
			rps: result.requestsPerSecond,
			p50: result.p50,
			p99: result.p99,
			cpuPerRequest: cpu / Math.max(1, result.total),
			failed: result.non2xx + result.errors,
			ok: result.ok2xx,
		};
	};

	console.log("Warming up…");
	const idempotent = base.at(-1) as Scenario;
	const isIdempotent = (scenario: Scenario) => scenario.stream === idempotent.stream;
	let accepted = 0;
	for (const scenario of all) {
		const warm = await measure(scenario, 1);
		if (isIdempotent(scenario)) accepted += warm.ok;
	}
	for (let round = 1; round <= ROUNDS; round++) {
		for (const scenario of all) {
			console.log(`round ${round}/${ROUNDS}: ${scenario.name}, ${scenario.connections} connections, ${SECONDS} s`);
			samples.get(scenario)?.push(await measure(scenario, SECONDS));
		}
	}

	const summary = (scenario: Scenario): Summary => {
		const runs = samples.get(scenario) ?? [];
		return {
			rps: median(runs.map((run) => run.rps)),
			p50: median(runs.map((run) => run.p50)),
			p99: median(runs.map((run) => run.p99)),
			cpu: median(runs.map((run) => run.cpuPerRequest)),
			failed: runs.reduce((sum, run) => sum + run.failed, 0),
		};
	};
	const rowsAgainst = (base: Scenario, list: Scenario[]) => {
		const floor = summary(base);
		return list.map((scenario) => {
			const s = summary(scenario);
			return [scenario.name, fmt(s.rps, 0), fmt(s.p50, 1), fmt(s.p99, 1), fmt(s.rps * scenario.items, 0), fmt(s.cpu), fmt(s.rps / floor.rps), fmt(floor.cpu / s.cpu), s.failed];
		});
	};
	const columns = ["scenario", "requests/s", "p50 ms", "p99 ms", "items/s", "server CPU ms / request", "requests/s ÷ floor", "floor CPU ÷ CPU", "non-2xx"];
	if (!SCHEMA_ONLY) {
		for (const scenario of all.filter(isIdempotent)) accepted += (samples.get(scenario) ?? []).reduce((sum, sample) => sum + sample.ok, 0);
		const seq = await waitForSeq(server.url, server.adminToken, idempotent.stream as string, accepted);
		const stored = await streamItemCount(server.url, server.adminToken, idempotent.stream as string);
		console.log(`Idempotency-Key rows: ${accepted} accepted with fresh keys, ${stored} stored, seq ${seq}.`);
		const first = levels[0] as Scenario[];
		const last = levels.at(-1) as Scenario[];
		const at = (list: Scenario[], index: number) => summary(list[index] as Scenario);
		const [floor, limited, single] = [0, 1, 2].map((index) => at(first, index)) as [Summary, Summary, Summary];
		const [batchedFloor, batched] = [0, 1].map((index) => at(batchingScenarios, index)) as [Summary, Summary];
		const ratio = (list: Scenario[]) => `${fmt(at(list, 2).rps / at(list, 0).rps)} × by requests/s, ${fmt(at(list, 0).cpu / at(list, 2).cpu)} × by CPU`;
		const body = [
			"## Ingest overhead against the runtime's floor",
			"",
			`Measured ${new Date().toISOString().slice(0, 10)} on ${machine()} by \`npm run bench:overhead\`: autocannon at ${LEVELS.join(" and ")} connections, ${ROUNDS} rounds of ${SECONDS} s per row, every row interleaved within each round; medians of the rounds. Load generator and server share the 2 cores (and the machine is shared with other work), so requests/s move from run to run; the server's CPU per request, read from /proc for wrangler's and workerd's processes, moves much less.`,
			"",
			"The floor is `POST /api/bench/floor` in the same Worker (mounted only by the test Worker, test/fixtures/test-worker.ts, which the benchmarks run): the same request-id and CORS middleware, it reads the body and answers the same 202 JSON, with no auth, validation, idempotency or queue. Each real row has a connector of its own (rate limit never reached); the queue consumer applies the items in the same workerd during the run, as production does in its own invocations, and each run ends only when its stream has applied everything, so the CPU column is the whole cost of a request, applying included.",
			"",
			`1-item requests against the floor: **${ratio(first)}** at ${FIRST_LEVEL} connections; **${ratio(last)}** at ${last[0]?.connections} connections.`,
			"",
			...levels.flatMap((list) => [`### ${list[0]?.connections} connections`, "", table(columns, rowsAgainst(list[0] as Scenario, list)), ""]),
			`Why the two levels differ: a real request waits a few milliseconds for its queue send, the floor does not. At ${FIRST_LEVEL} connections that wait leaves cores idle, so requests/s is bounded by latency, not CPU. With more connections the server is kept busy and requests/s approaches what the CPU allows; the consumer also finds more messages per batch, and every batch costs a consumer invocation, a stream RPC and a transaction whatever its size (connector logs reach D1 apart from batches, through each stream's log outbox).`,
			"",
			`Rate limiter on the hot path: isolates lease tokens from the connector's limiter in blocks sized to their traffic, so a busy connector costs one RPC per block. At ${FIRST_LEVEL} connections the floor answers ${fmt(floor.rps, 0)} requests/s without the limiter and ${fmt(limited.rps, 0)} with it (${fmt(limited.rps / floor.rps)} × the floor, ${fmt(limited.cpu - floor.cpu)} ms of server CPU per request: ${fmt(floor.cpu)} → ${fmt(limited.cpu)}).`,
			"",
			`### The consumer's batching: apply latency against CPU per request`,
			"",
			`All rows above run with the ingest consumer's \`max_batch_timeout = 0\` (wrangler.toml): a batch leaves as soon as a message is there, which gives renderers the lowest latency; at ${FIRST_LEVEL} connections a batch holds about ${FIRST_LEVEL} messages. A second server in the same run, identical but for \`max_batch_timeout = ${BATCH_TIMEOUT}\`, waits up to ${BATCH_TIMEOUT * 1000} ms to fill batches (${FIRST_LEVEL} connections):`,
			"",
			table(columns, rowsAgainst(batchingScenarios[0] as Scenario, batchingScenarios)),
			"",
			`Against its own floor, the 1-item request goes from ${fmt(single.rps / floor.rps)} × (${fmt(single.cpu)} ms of CPU) to ${fmt(batched.rps / batchedFloor.rps)} × (${fmt(batched.cpu)} ms) with batching; every item then reaches renderers up to ${BATCH_TIMEOUT * 1000} ms later. The project keeps 0: live views are the point of the product.`,
			"",
			`Idempotency-Key rows: autocannon counted ${accepted} 202s with fresh keys (warm-up and both levels included; up to as many more as there were connections were still in flight when each run stopped, and the server accepted them too); the stream holds ${stored} items at seq ${seq}: one item and one seq per applied request, none applied twice.`,
		].join("\n");
		console.log(`\n${body}\n`);
		writeSection("overhead", body);
	}
	const schemaSection = schemaResults(schemaScenarios.map((scenario) => ({ scenario, summary: summary(scenario) })));
	console.log(`\n${schemaSection}\n`);
	writeSection("schema", schemaSection);
} finally {
	await Promise.all(servers.map((running) => running.stop()));
	rmSync(configFile, { force: true });
}

/** The stream-schema section: each validator's cost over parsing alone, and the real route's with a schema over without. */
function schemaResults(rows: { scenario: Scenario; summary: Summary }[]): string {
	const byName = new Map(rows.map((row) => [row.scenario.name, row.summary]));
	const get = (name: string) => byName.get(name) as Summary;
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
