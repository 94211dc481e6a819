// `npm run bench:overhead`: POST /api/ingest against the runtime's floor: the same load, in the same run, interleaved.
import { startServer } from "../scripts/dev-server.ts";
import { runLoad } from "./lib/load.ts";
import { machine, writeSection } from "./lib/results.ts";
import { groupCpuMs, serverProcessGroup } from "./lib/server-cpu.ts";
import { benchStream } from "./lib/setup.ts";
import { streamItemCount, waitForSeq } from "./lib/stream-state.ts";
import { fmt, quantile, table } from "./lib/stats.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);

interface Scenario {
	name: string;
	items: number;
	path: string;
	headers: Record<string, string>;
	perRequest?: () => Record<string, string>;
	/** The stream the consumer applies to, drained after each run. */
	stream?: string;
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

const server = await startServer({ vars: { BENCH_ROUTES: "1" } });
try {
	const group = serverProcessGroup(Number(new URL(server.url).port));
	const json = { "Content-Type": "application/json" };
	const real = async (name: string, items: number, itemKey: string | null = "id", perRequest?: () => Record<string, string>): Promise<Scenario> => {
		const target = await benchStream(server.url, server.adminToken, itemKey);
		return { name, items, path: "/api/ingest", headers: { ...json, Authorization: `Bearer ${target.key}` }, perRequest, stream: target.stream };
	};
	const scenarios: Scenario[] = [
		{ name: "floor: read body, answer 202", items: 1, path: "/api/bench/floor", headers: json },
		{ name: "floor + rate-limiter RPC", items: 1, path: "/api/bench/floor-rate-limited", headers: json },
		await real("POST /api/ingest, 1 item", 1),
		await real("POST /api/ingest, 10 items", 10),
		await real("POST /api/ingest, 100 items", 100),
		await real("POST /api/ingest, 1,000 items", 1000),
		// Keyless, so that every applied request adds items: the stream's seq then counts the requests applied.
		await real("POST /api/ingest, 1 item + Idempotency-Key", 1, null, () => ({ "Idempotency-Key": crypto.randomUUID() })),
	];
	const samples = new Map<Scenario, Sample[]>(scenarios.map((scenario) => [scenario, []]));

	const measure = async (scenario: Scenario, seconds: number): Promise<Sample> => {
		const before = groupCpuMs(group);
		const result = await runLoad({
			url: `${server.url}${scenario.path}`,
			headers: scenario.headers,
			body: itemsBody(scenario.items),
			perRequest: scenario.perRequest,
			connections: CONNECTIONS,
			seconds,
		});
		// The consumer's work counts too: the request is not done until its items are applied.
		if (scenario.stream) await waitForSeq(server.url, server.adminToken, scenario.stream, Number.POSITIVE_INFINITY, 1500);
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
	const idempotent = scenarios.at(-1) as Scenario;
	let accepted = 0;
	for (const scenario of scenarios) {
		const warm = await measure(scenario, 1);
		if (scenario === idempotent) accepted += warm.ok;
	}
	for (let round = 1; round <= ROUNDS; round++) {
		for (const scenario of scenarios) {
			console.log(`round ${round}/${ROUNDS}: ${scenario.name}, ${CONNECTIONS} connections, ${SECONDS} s`);
			samples.get(scenario)?.push(await measure(scenario, SECONDS));
		}
	}
	accepted += (samples.get(idempotent) ?? []).reduce((sum, sample) => sum + sample.ok, 0);
	const seq = await waitForSeq(server.url, server.adminToken, idempotent.stream as string, accepted);
	const stored = await streamItemCount(server.url, server.adminToken, idempotent.stream as string);
	console.log(`Idempotency-Key rows: ${accepted} accepted with fresh keys, ${stored} stored, seq ${seq}.`);

	const summary = (scenario: Scenario) => {
		const runs = samples.get(scenario) ?? [];
		return {
			rps: median(runs.map((run) => run.rps)),
			p50: median(runs.map((run) => run.p50)),
			p99: median(runs.map((run) => run.p99)),
			cpu: median(runs.map((run) => run.cpuPerRequest)),
			failed: runs.reduce((sum, run) => sum + run.failed, 0),
		};
	};
	const floor = summary(scenarios[0] as Scenario);
	const limited = summary(scenarios[1] as Scenario);
	const rows = scenarios.map((scenario) => {
		const s = summary(scenario);
		return [scenario.name, fmt(s.rps, 0), fmt(s.p50, 1), fmt(s.p99, 1), fmt(s.rps * scenario.items, 0), fmt(s.cpu), fmt(s.rps / floor.rps), fmt(floor.cpu / s.cpu), s.failed];
	});
	const body = [
		"## Ingest overhead against the runtime's floor",
		"",
		`Measured ${new Date().toISOString().slice(0, 10)} on ${machine()} by \`npm run bench:overhead\`: autocannon, ${CONNECTIONS} connections, ${ROUNDS} rounds of ${SECONDS} s per row, the rows interleaved within each round; medians of the rounds. Load generator and server share the 2 cores (and the machine is shared with other work), so requests/s move from run to run; the server's CPU per request, read from /proc for wrangler's and workerd's processes, moves much less.`,
		"",
		"The floor is `POST /api/bench/floor` in the same Worker (mounted only with `BENCH_ROUTES=1`): the same request-id and CORS middleware, it reads the body and answers the same 202 JSON, with no auth, validation, idempotency or queue. Each real row has a connector of its own (rate limit never reached); the queue consumer applies the items in the same workerd during the run, as production does in its own invocations, and each run ends only when its stream has applied everything, so the CPU column is the whole cost of a request, applying included.",
		"",
		table(["scenario", "requests/s", "p50 ms", "p99 ms", "items/s", "server CPU ms / request", "requests/s ÷ floor", "floor CPU ÷ CPU", "non-2xx"], rows),
		"",
		`Rate limiter on the hot path: the floor answers ${fmt(floor.rps, 0)} requests/s without the limiter RPC and ${fmt(limited.rps, 0)} with it (${fmt(limited.rps / floor.rps)} × the floor); it adds ${fmt(limited.cpu - floor.cpu)} ms of server CPU per request (${fmt(floor.cpu)} → ${fmt(limited.cpu)}).`,
		"",
		`Idempotency-Key rows: autocannon counted ${accepted} 202s with fresh keys (warm-up included; up to ${CONNECTIONS} more per run were still in flight when it stopped, and the server accepted them too); the stream holds ${stored} items at seq ${seq}: one item and one seq per applied request, none applied twice.`,
	].join("\n");
	console.log(`\n${body}\n`);
	writeSection("overhead", body);
} finally {
	await server.stop();
}
