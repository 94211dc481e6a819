// Ingest → renderer latency while a steady ingest load runs (goal 4), against the same probes without load in the
// same rounds. Probes are 1-item ingests sent at a fixed rate, each item carrying a marker that a renderer socket on
// the probe stream timestamps. The load is autocannon's 1-item requests in a process of its own (so that its work
// does not delay this process's timestamps) at a fixed rate, on the probe's own stream (its object applies the load
// and sends its frames to the same socket) or on another stream; and, for reference, unthrottled on the probe's stream.
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { type BenchStream, benchStream } from "./setup.ts";
import { type MarkerSocket, openMarkerSocket, streamSocketUrl } from "./marker-socket.ts";
import { waitForSeq } from "./stream-state.ts";
import { fmt, medianSpread, percentiles, quantile, spread, table } from "./stats.ts";

const CONNECTIONS = Number(process.env.BENCH_LOAD_CONNECTIONS ?? 10);
/**
 * The steady load's requests/s over all its connections: about half of what the 1-item route answers at 10
 * connections on this machine when it is quiet, so that the probes measure the path under load, not a queue.
 */
const RATE = Number(process.env.BENCH_LOAD_RATE ?? 50);
/** Probes per second, each sent without waiting for the last: enough samples for a p99 per round. */
const PROBE_RATE = Number(process.env.BENCH_PROBE_RATE ?? 20);
/** Seconds of probing per condition and round. */
const SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 8);
const ROUNDS = Number(process.env.BENCH_LOAD_ROUNDS ?? 3);
/** A probe whose frame has not come this long after its 202 fails the run: a frame was lost. */
const PROBE_TIMEOUT_MS = 30_000;
/** The load runs this long before the probes start, so that they see it steady. */
const RAMP_MS = 1_000;
const AUTOCANNON = path.resolve(import.meta.dirname, "..", "..", "node_modules", ".bin", "autocannon");

export type Condition = "unloaded" | "same stream" | "another stream" | "same stream, unthrottled";
const CONDITIONS: Condition[] = ["unloaded", "same stream", "another stream", "same stream, unthrottled"];
const LABELS: Record<Condition, string> = {
	unloaded: "probes alone (baseline)",
	"same stream": "steady load on the renderer's stream",
	"another stream": "steady load on another stream",
	"same stream, unthrottled": "unthrottled load on the renderer's stream (reference)",
};

/** One condition in one round. */
export interface Probes {
	condition: Condition;
	/** POST → frame at the renderer, ms. */
	endToEnd: number[];
	/** POST → 202, ms. */
	accepted: number[];
	/** The load's requests/s and non-2xx answers (0 when unloaded). */
	loadRps: number;
	loadFailed: number;
}

export interface UnderLoad {
	rounds: Probes[][];
	connections: number;
	rate: number;
	probeRate: number;
	seconds: number;
}

/** autocannon's CLI posting 1-item requests to `target`'s stream for `seconds` (at `rate` requests/s, or as fast as answered). */
function startLoad(url: string, target: BenchStream, seconds: number, rate: number | null): { child: ChildProcess; done: Promise<{ rps: number; failed: number }> } {
	const args = ["-n", "-j", "-c", String(CONNECTIONS), "-d", String(seconds), "-m", "POST", ...(rate ? ["-R", String(rate)] : [])];
	args.push("-H", `Authorization=Bearer ${target.key}`, "-H", "Content-Type=application/json");
	args.push("-b", JSON.stringify({ id: "load", region: "North", revenue: 1200 }), `${url}/api/ingest`);
	const child = spawn(AUTOCANNON, args, { stdio: ["ignore", "pipe", "pipe"] });
	let out = "";
	child.stdout?.on("data", (chunk: Buffer) => {
		out += chunk.toString();
	});
	const done = new Promise<{ rps: number; failed: number }>((resolve, reject) => {
		child.on("exit", (code) => {
			if (code !== 0) return reject(new Error(`autocannon exited ${code}`));
			const result = JSON.parse(out) as { requests: { average: number }; non2xx: number; errors: number; timeouts: number };
			resolve({ rps: result.requests.average, failed: result.non2xx + result.errors + result.timeouts });
		});
	});
	return { child, done };
}

/** One probe: a 1-item POST whose item carries a marker, timed until its 202 and until its frame arrives. */
async function probeOnce(url: string, target: BenchStream, socket: MarkerSocket, i: number) {
	const marker = `probe-${i}-${crypto.randomUUID().slice(0, 8)}`;
	const arrival = socket.waitFor(marker);
	const start = performance.now();
	const response = await fetch(`${url}/api/ingest`, {
		method: "POST",
		headers: { Authorization: `Bearer ${target.key}`, "Content-Type": "application/json" },
		body: JSON.stringify({ id: marker, n: i }),
	});
	const accepted = performance.now() - start;
	if (response.status !== 202) throw new Error(`probe answered ${response.status}`);
	await response.arrayBuffer();
	// The clock starts at the 202, so a slow POST on a busy machine is not taken for a lost frame.
	let timer: NodeJS.Timeout | undefined;
	const lost = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new Error(`no frame for ${marker} ${PROBE_TIMEOUT_MS} ms after its 202`)), PROBE_TIMEOUT_MS);
	});
	const at = await Promise.race([arrival, lost]).finally(() => clearTimeout(timer));
	return { accepted, endToEnd: at - start };
}

/** Probes at PROBE_RATE for `ms`, each sent on time whether or not the ones before it have their frame. */
async function probe(url: string, target: BenchStream, socket: MarkerSocket, ms: number) {
	const pending: Promise<{ accepted: number; endToEnd: number }>[] = [];
	const count = Math.round((ms / 1000) * PROBE_RATE);
	const begin = performance.now();
	for (let i = 0; i < count; i++) {
		const due = begin + (i * 1000) / PROBE_RATE;
		await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
		const sent = probeOnce(url, target, socket, i);
		// Handled at once, so that a probe failing while later ones are still being sent is not an unhandled rejection.
		sent.catch(() => undefined);
		pending.push(sent);
	}
	const results = await Promise.all(pending);
	return { endToEnd: results.map((result) => result.endToEnd), accepted: results.map((result) => result.accepted) };
}

/** ROUNDS rounds, each probing every condition in turn. */
export async function latencyUnderLoad(url: string, adminToken: string): Promise<UnderLoad> {
	const probed = await benchStream(url, adminToken);
	const other = await benchStream(url, adminToken);
	const socket = await openMarkerSocket(streamSocketUrl(url, probed.stream, probed.rendererToken));
	const rounds: Probes[][] = [];
	try {
		// One unmeasured probe: it wakes the probe stream's object and waits out whatever the server was still doing.
		await probeOnce(url, probed, socket, -1);
		for (let round = 0; round < ROUNDS; round++) {
			const results: Probes[] = [];
			for (const condition of CONDITIONS) {
				console.log(`under load, round ${round + 1}/${ROUNDS}: ${condition}, ${SECONDS} s of probes`);
				const loaded = condition === "unloaded" ? null : condition === "another stream" ? other : probed;
				const rate = condition === "same stream, unthrottled" ? null : RATE;
				const load = loaded ? startLoad(url, loaded, SECONDS + RAMP_MS / 1000 + 1, rate) : null;
				if (load) await new Promise((resolve) => setTimeout(resolve, RAMP_MS));
				const probes = await probe(url, probed, socket, SECONDS * 1000);
				const summary = load ? await load.done : { rps: 0, failed: 0 };
				results.push({ condition, ...probes, loadRps: summary.rps, loadFailed: summary.failed });
				// Let the consumer apply what the load left queued, so the next condition starts from rest.
				if (loaded) await waitForSeq(url, adminToken, loaded.stream, Number.POSITIVE_INFINITY, 500);
			}
			rounds.push(results);
		}
	} finally {
		socket.close();
	}
	return { rounds, connections: CONNECTIONS, rate: RATE, probeRate: PROBE_RATE, seconds: SECONDS };
}

/** Each round's p99 of POST → frame for `condition`. */
export const roundP99s = (result: UnderLoad, condition: Condition) =>
	result.rounds.map((round) => percentiles(round.find((probes) => probes.condition === condition)?.endToEnd ?? []).p99);

/** Per round, the worse p99 of the two steady loads: goal 4's figure. */
export const loadedP99s = (result: UnderLoad) => {
	const same = roundP99s(result, "same stream");
	const another = roundP99s(result, "another stream");
	return same.map((p99, round) => Math.max(p99, another[round] as number));
};

/** The steady loads' requests/s, per round (the lower of the two), to tell a load that fell short of its rate. */
const steadyRps = (result: UnderLoad) =>
	result.rounds.map((round) => Math.min(...round.filter((probes) => probes.condition === "same stream" || probes.condition === "another stream").map((probes) => probes.loadRps)));

/** A sentence when the steady load did not reach its rate: the server could not keep up, so the probes measured a queue. */
function shortfall(result: UnderLoad): string {
	const reached = quantile(steadyRps(result), 0.5);
	return reached < 0.9 * result.rate
		? ` The steady load reached only ${fmt(reached, 0)} of its ${result.rate} requests/s (median of the rounds): the server could not keep up alongside the probes in this run, so these figures measure a queue, not the path.`
		: "";
}

/** How goal 4 was measured, for the goals table. */
export function underLoadMethod(result: UnderLoad): string {
	return `${result.rounds.length} rounds of ${result.seconds} s of probes at ${result.probeRate}/s per condition: alone, then with autocannon posting 1-item requests at ${result.rate}/s on ${result.connections} connections to the renderer's stream, then to another stream; the worse of the two loads per round.${shortfall(result)}`;
}

/** The results section: one row per condition, medians of the rounds' figures and their spread. */
export function underLoadSection(result: UnderLoad): string {
	const unloaded = roundP99s(result, "unloaded");
	const rows = CONDITIONS.map((condition) => {
		const runs = result.rounds.map((round) => round.find((probes) => probes.condition === condition) as Probes);
		const p99s = roundP99s(result, condition);
		const of = (pick: (probes: Probes) => number) => medianSpread(runs.map(pick), 1);
		return [
			LABELS[condition],
			condition === "unloaded" ? "—" : `${of((probes) => probes.loadRps)}${runs.some((probes) => probes.loadFailed) ? `, ${runs.reduce((n, probes) => n + probes.loadFailed, 0)} non-2xx` : ""}`,
			of((probes) => percentiles(probes.accepted).p99),
			of((probes) => percentiles(probes.endToEnd).p50),
			medianSpread(p99s, 1),
			medianSpread(
				p99s.map((p99, round) => p99 / (unloaded[round] as number)),
				2,
			),
		];
	});
	const worst = loadedP99s(result);
	return [
		"### Ingest → renderer under load",
		"",
		`Probes: 1-item ingests at ${result.probeRate} per second (each sent on time, whether or not the ones before have their frame), each item carrying a marker, timed from just before the POST until a renderer socket on the probe's stream has the frame; ${result.seconds} s (${result.seconds * result.probeRate} probes) per condition and round, ${result.rounds.length} rounds, the conditions in turn in each. The load: autocannon, in a process of its own, posting 1-item requests on ${result.connections} connections, steady at ${result.rate} requests/s (about half of what the 1-item route answered at ${result.connections} connections in the overhead run of 2026-12-01 on this machine) to the renderer's own stream (whose object then applies the load and sends its frames to the same socket) or to another stream; for reference, unthrottled (${result.connections} requests always in flight, as many as the server answers, so a probe also queues behind them). The load runs ${RAMP_MS / 1000} s before the probes start. Per round p50 and p99 of the probes; medians of the rounds (min–max). The servers, autocannon and this script share the 2 cores.`,
		"",
		table(["condition", "load requests/s", "POST → 202 p99 ms", "POST → frame p50 ms", "POST → frame p99 ms", "p99 ÷ baseline p99"], rows),
		"",
		`Ingest → renderer p99 under a steady load of ${result.rate} requests/s (the worse of the two steady loads, per round): **${fmt(quantile(worst, 0.5), 1)} ms** (${spread(worst, 1)}), against ${fmt(quantile(unloaded, 0.5), 1)} ms with the probes alone in the same rounds.${shortfall(result)}`,
	].join("\n");
}
