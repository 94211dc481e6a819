// `npm run bench:overhead`: POST /api/ingest against two floors, the same load in the same run, interleaved: a bare
// Worker with no framework in a `wrangler dev` of its own (the runtime's floor), and a route inside our own app.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { type RunningServer, TEST_WORKER, startServer } from "../scripts/dev-server.ts";
import { runLoad } from "./lib/load.ts";
import { startWranglerDev, type WranglerDev } from "./lib/wrangler-dev.ts";
import { machine, writeSection } from "./lib/results.ts";
import { groupCpuMs, serverProcessGroup } from "./lib/server-cpu.ts";
import { benchStream } from "./lib/setup.ts";
import { streamItemCount, waitForSeq } from "./lib/stream-state.ts";
import { fmt, medianSpread, quantile, spread, table } from "./lib/stats.ts";
import { BENCH_SCHEMA, benchItem } from "../test/fixtures/bench-schema.ts";
import { type RunSummary as Summary, schemaResults } from "./lib/schema-results.ts";
import { recordGoal } from "./lib/goals.ts";

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
/** BENCH_GOALS_ONLY=1 (`npm run bench:goals`) measures only the goals' rows at the first level and records them, no section. */
const GOALS_ONLY = process.env.BENCH_GOALS_ONLY === "1";
/** How many times the validators' own rows validate each 100-item body. */
const REPEAT = 20;

/** A server under load and the process group whose CPU time is its cost. */
interface Target {
	url: string;
	/** Empty for the bare floor, which has no admin API (and no stream to drain). */
	adminToken: string;
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

interface Sample {
	rps: number;
	p50: number;
	p99: number;
	cpuPerRequest: number;
	failed: number;
	ok: number;
	/** Counts of the answers that were not 2xx, by status (and "errors" for timeouts and socket errors). */
	codes: Record<string, number>;
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

const toTarget = (server: { url: string; adminToken?: string }): Target => ({
	url: server.url,
	adminToken: server.adminToken ?? "",
	group: serverProcessGroup(Number(new URL(server.url).port)),
});
const configFile = batchingConfig(BATCH_TIMEOUT);
const servers: (RunningServer | WranglerDev)[] = [];
try {
	servers.push(await startServer({ args: [TEST_WORKER] }));
	if (!GOALS_ONLY) servers.push(await startServer({ args: [TEST_WORKER, "--config", configFile] }));
	// A goals-only run measures no batching rows, so it starts no batching server.
	const [main, batching = main] = servers.map(toTarget) as [Target, Target?];
	const bareServer = await startWranglerDev("bench/fixtures/bare-floor/wrangler.toml", "bare floor");
	servers.push(bareServer);
	const bare = toTarget(bareServer);
	const pipelineServer = await startWranglerDev("bench/fixtures/bare-pipeline/wrangler.toml", "bare pipeline");
	servers.push(pipelineServer);
	const pipeline = toTarget(pipelineServer);
	const server = main;
	const json = { "Content-Type": "application/json" };
	const floorRow = (target: Target, name: string, route = "floor"): Scenario => ({
		target,
		connections: FIRST_LEVEL,
		name,
		items: 1,
		path: `/api/bench/${route}`,
		headers: json,
	});
	const bareRow: Scenario = { ...floorRow(bare, "bare floor: no framework, own wrangler dev"), path: "/api/ingest" };
	const real = async (
		name: string,
		items: number,
		itemKey: string | null = "id",
		perRequest?: () => Record<string, string>,
		target = main,
	): Promise<Scenario> => {
		const made = await benchStream(target.url, target.adminToken, itemKey);
		const headers = { ...json, Authorization: `Bearer ${made.key}` };
		return { target, connections: FIRST_LEVEL, name, items, path: "/api/ingest", headers, perRequest, stream: made.stream };
	};
	const base: Scenario[] = [
		bareRow,
		floorRow(main, "in-app floor: read body, answer 202"),
		floorRow(main, "floor + rate-limiter lease", "floor-rate-limited"),
		await real("POST /api/ingest, 1 item", 1),
		await real("POST /api/ingest, 10 items", 10),
		await real("POST /api/ingest, 100 items", 100),
		await real("POST /api/ingest, 1,000 items", 1000),
		// Keyless, so that every applied request adds items: the stream's seq then counts the requests applied.
		await real("POST /api/ingest, 1 item + Idempotency-Key", 1, null, () => ({ "Idempotency-Key": crypto.randomUUID() })),
		// Our topology with nothing of ours: POST → queue → consumer → object (SQLite insert) → sockets, no framework.
		{ ...floorRow(pipeline, "bare pipeline: queue → consumer → object, no framework, own wrangler dev"), path: "/ingest/bench", stream: "bench" },
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
	const first = levels[0] as Scenario[];
	// Rows of each level: 0 bare floor, 1 in-app floor, 2 in-app floor + limiter, 3 one item, 5 a hundred items,
	// 7 one item + Idempotency-Key, 8 the bare pipeline.
	const goalRows = [0, 1, 3, 5, 8].map((index) => first[index] as Scenario);
	const all = SCHEMA_ONLY ? schemaScenarios : GOALS_ONLY ? goalRows : [...levels.flat(), ...batchingScenarios, ...schemaScenarios];
	const samples = new Map<Scenario, Sample[]>(all.map((scenario) => [scenario, []]));

	const measure = async (scenario: Scenario, seconds: number): Promise<Sample> => {
		const { target } = scenario;
		const { group } = target;
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
			codes: {
				...Object.fromEntries(Object.entries(result.statusCodes).filter(([code]) => !code.startsWith("2"))),
				...(result.errors ? { errors: result.errors } : {}),
			},
		};
	};

	console.log("Warming up…");
	const idempotent = base[7] as Scenario;
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
	const runsOf = (scenario: Scenario) => samples.get(scenario) ?? [];
	/** Each round's requests/s over its floor's in the same round (rows are interleaved, so a round's ratio is fair). */
	const roundRatios = (scenario: Scenario, floor: Scenario) =>
		runsOf(scenario).map((run, round) => run.rps / (runsOf(floor)[round]?.rps ?? Number.NaN));
	const ratioText = (scenario: Scenario, floor: Scenario) => medianSpread(roundRatios(scenario, floor));
	/** The non-2xx count, with which statuses they were. */
	const failures = (scenario: Scenario) => {
		const codes: Record<string, number> = {};
		for (const run of runsOf(scenario)) for (const [code, n] of Object.entries(run.codes)) codes[code] = (codes[code] ?? 0) + n;
		const total = Object.values(codes).reduce((sum, n) => sum + n, 0);
		return total === 0 ? "0" : `${total} (${Object.entries(codes).map(([code, n]) => `${code}: ${n}`).join(", ")})`;
	};
	const rowsAgainst = (bareFloor: Scenario, inAppFloor: Scenario, list: Scenario[]) => {
		const bareCpu = summary(bareFloor).cpu;
		return list.map((scenario) => {
			const s = summary(scenario);
			const rps = runsOf(scenario).map((run) => run.rps);
			return [
				scenario.name,
				`${fmt(s.rps, 0)} (${spread(rps, 0)})`,
				fmt(s.p50, 1),
				fmt(s.p99, 1),
				fmt(s.rps * scenario.items, 0),
				fmt(s.cpu),
				ratioText(scenario, bareFloor),
				ratioText(scenario, inAppFloor),
				fmt(bareCpu / s.cpu),
				failures(scenario),
			];
		});
	};
	const columns = [
		"scenario",
		"requests/s (min–max)",
		"p50 ms",
		"p99 ms",
		"items/s",
		"server CPU ms / request",
		"requests/s ÷ bare floor (min–max)",
		"requests/s ÷ in-app floor (min–max)",
		"bare floor CPU ÷ CPU",
		"non-2xx",
	];
	/** Goals 1 and 2: each round's requests/s of the real route against the bare floor's in the same round. */
	const recordIngestGoals = (bareFloor: Scenario, barePipeline: Scenario, ...rows: Scenario[]) => {
		const bareCpu = summary(bareFloor).cpu;
		const topology = `; the bare pipeline (our queue → consumer → object → sockets topology, no framework, nothing of ours) reaches ${ratioText(barePipeline, bareFloor)} × the bare floor in the same rounds (${fmt(summary(barePipeline).cpu)} ms of CPU per request)`;
		for (const scenario of rows) {
			recordGoal(scenario.items === 1 ? "ingest-1" : "ingest-100", {
				unit: "requests/s",
				values: runsOf(scenario).map((run) => run.rps),
				baselines: runsOf(bareFloor).map((run) => run.rps),
				valueLabel: `${scenario.items}-item POST /api/ingest`,
				baselineLabel: "bare floor",
				method: `autocannon at ${scenario.connections} connections, ${ROUNDS} rounds of ${SECONDS} s, rows interleaved in each round; server CPU ${fmt(summary(scenario).cpu)} ms per request against the bare floor's ${fmt(bareCpu)} (${fmt(bareCpu / summary(scenario).cpu)} × by CPU)${topology}`,
			});
		}
	};
	if (!SCHEMA_ONLY) recordIngestGoals(first[0] as Scenario, first[8] as Scenario, first[3] as Scenario, first[5] as Scenario);
	if (!SCHEMA_ONLY && !GOALS_ONLY) {
		for (const scenario of all.filter(isIdempotent)) accepted += runsOf(scenario).reduce((sum, sample) => sum + sample.ok, 0);
		const seq = await waitForSeq(server.url, server.adminToken, idempotent.stream as string, accepted);
		const stored = await streamItemCount(server.url, server.adminToken, idempotent.stream as string);
		console.log(`Idempotency-Key rows: ${accepted} accepted with fresh keys, ${stored} stored, seq ${seq}.`);
		const row = (list: Scenario[], index: number) => list[index] as Scenario;
		const at = (list: Scenario[], index: number) => summary(row(list, index));
		const [floor, limited, single] = [1, 2, 3].map((index) => at(first, index)) as [Summary, Summary, Summary];
		const [batchedFloor, batched] = [0, 1].map((index) => at(batchingScenarios, index)) as [Summary, Summary];
		const ratios = (list: Scenario[], index: number) =>
			`**${ratioText(row(list, index), row(list, 0))} ×** the bare floor's requests/s (${fmt(at(list, 0).cpu / at(list, index).cpu)} × by CPU), ${ratioText(row(list, index), row(list, 1))} × the in-app floor's`;
		const framework = (list: Scenario[]) => `${ratioText(row(list, 1), row(list, 0))} × (${fmt(at(list, 0).cpu)} → ${fmt(at(list, 1).cpu)} ms of CPU per request)`;
		const body = [
			"## Ingest overhead against the runtime's floor",
			"",
			`Measured ${new Date().toISOString().slice(0, 10)} on ${machine()} by \`npm run bench:overhead\`: autocannon at ${LEVELS.join(" and ")} connections, ${ROUNDS} rounds of ${SECONDS} s per row, every row interleaved within each round; medians of the rounds, with their spread (min–max of the rounds) beside them; a ratio is taken within each round, then its median and spread over the rounds. Load generator and server share the 2 cores (and the machine is shared with other work), so requests/s move from run to run; the server's CPU per request, read from /proc for wrangler's and workerd's processes, moves much less.`,
			"",
			"Two floors. The **bare floor** is a Worker with no framework (bench/fixtures/bare-floor: it reads the body and answers the same 202 JSON and X-Request-Id, nothing else) in a `wrangler dev` of its own, measured in the same rounds: what the runtime alone costs for such a request, the baseline of the goals. The **in-app floor** is `POST /api/bench/floor` in our own Worker (mounted only by the test Worker, test/fixtures/test-worker.ts, which the benchmarks run): Hono with the same request-id and CORS middleware, it reads the body and answers the same 202 JSON, with no auth, validation, idempotency or queue; against the bare floor it isolates the framework's own cost. The **bare pipeline** (bench/fixtures/bare-pipeline, no framework, in a \`wrangler dev\` of its own) is our topology with nothing of ours in it: the POST sends its body to a queue and answers 202, the consumer hands each stream's bodies to its Durable Object in one RPC, which inserts them in one SQLite transaction and sends one frame to its sockets; against the bare floor it shows what the queue hop and the object cost in this runtime before any of our code runs. Each real row has a connector of its own (rate limit never reached); the queue consumer applies the items in the same workerd during the run, as production does in its own invocations, and each run ends only when its stream has applied everything, so the CPU column is the whole cost of a request, applying included.",
			"",
			...levels.flatMap((list) => [
				`At ${list[0]?.connections} connections: 1-item requests reach ${ratios(list, 3)}; 100-item requests ${ratios(list, 5)}. The in-app floor itself (the framework's cost) reaches ${framework(list)} of the bare floor; the bare pipeline (the topology's cost) ${ratioText(row(list, 8), row(list, 0))} × (${fmt(at(list, 8).cpu)} ms of CPU per request), and the 1-item request ${ratioText(row(list, 3), row(list, 8))} × the bare pipeline.`,
				"",
			]),
			...levels.flatMap((list) => [`### ${list[0]?.connections} connections`, "", table(columns, rowsAgainst(row(list, 0), row(list, 1), list)), ""]),
			`Why the two levels differ: a real request waits a few milliseconds for its queue send, the floor does not. At ${FIRST_LEVEL} connections that wait leaves cores idle, so requests/s is bounded by latency, not CPU. With more connections the server is kept busy and requests/s approaches what the CPU allows; the consumer also finds more messages per batch, and every batch costs a consumer invocation, a stream RPC and a transaction whatever its size (connector logs reach D1 apart from batches, through each stream's log outbox).`,
			"",
			`Rate limiter on the hot path: isolates lease tokens from the connector's limiter in blocks sized to their traffic, so a busy connector costs one RPC per block. At ${FIRST_LEVEL} connections the in-app floor answers ${fmt(floor.rps, 0)} requests/s without the limiter and ${fmt(limited.rps, 0)} with it (${fmt(limited.rps / floor.rps)} × the in-app floor, ${fmt(limited.cpu - floor.cpu)} ms of server CPU per request: ${fmt(floor.cpu)} → ${fmt(limited.cpu)}).`,
			"",
			`### The consumer's batching: apply latency against CPU per request`,
			"",
			`All rows above run with the ingest consumer's \`max_batch_timeout = 0\` (wrangler.toml): a batch leaves as soon as a message is there, which gives renderers the lowest latency; at ${FIRST_LEVEL} connections a batch holds about ${FIRST_LEVEL} messages. A second server in the same run, identical but for \`max_batch_timeout = ${BATCH_TIMEOUT}\`, waits up to ${BATCH_TIMEOUT * 1000} ms to fill batches (${FIRST_LEVEL} connections; the bare floor is the one of the ${FIRST_LEVEL}-connection table, its in-app floor its own):`,
			"",
			table(columns, rowsAgainst(row(first, 0), row(batchingScenarios, 0), batchingScenarios)),
			"",
			`Against its own in-app floor, the 1-item request goes from ${fmt(single.rps / floor.rps)} × (${fmt(single.cpu)} ms of CPU) to ${fmt(batched.rps / batchedFloor.rps)} × (${fmt(batched.cpu)} ms) with batching; every item then reaches renderers up to ${BATCH_TIMEOUT * 1000} ms later. The project keeps 0: live views are the point of the product.`,
			"",
			`Idempotency-Key rows: autocannon counted ${accepted} 202s with fresh keys (warm-up and both levels included; up to as many more as there were connections were still in flight when each run stopped, and the server accepted them too); the stream holds ${stored} items at seq ${seq}: one item and one seq per applied request, none applied twice.`,
		].join("\n");
		console.log(`\n${body}\n`);
		writeSection("overhead", body);
	}
	if (!GOALS_ONLY) {
		const schemaSection = schemaResults(
			schemaScenarios.map((scenario) => ({ scenario, summary: summary(scenario) })),
			{ connections: FIRST_LEVEL, rounds: ROUNDS, seconds: SECONDS, repeat: REPEAT },
		);
		console.log(`\n${schemaSection}\n`);
		writeSection("schema", schemaSection);
	}
} finally {
	await Promise.all(servers.map((running) => running.stop()));
	rmSync(configFile, { force: true });
}
