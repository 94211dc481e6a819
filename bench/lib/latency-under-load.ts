// Ingest → renderer latency while a steady ingest load runs (goal 4), against the same probes without load in the
// same rounds, and against the bare pipeline (our topology with nothing of ours) under the same probes and load. Probes are 1-item ingests sent at a fixed
// rate, each item carrying a marker that a renderer socket on the probe stream timestamps. The steady load is 1-item
// requests sent at evenly spaced times by a process of its own (paced-load.ts; its work does not delay this
// process's timestamps), on the probe's own stream (its object applies the load and sends its frames to the same
// socket) or on another stream. The bare pipeline (bench/fixtures/bare-pipeline: POST → queue → consumer → object →
// sockets, no framework, in a `wrangler dev` of its own) gets the same probes and the same loads: what the runtime
// alone costs for that trip under that load. For reference, autocannon's unthrottled load on the probe's stream.
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { type BenchStream, benchStream } from "./setup.ts";
import { type MarkerSocket, openMarkerSocket, streamSocketUrl } from "./marker-socket.ts";
import { startPacedLoad } from "./paced-load.ts";
import { waitForSeq } from "./stream-state.ts";
import { groupCpuMs } from "./server-cpu.ts";
import { fmt, medianSpread, percentiles, quantile, spread, table } from "./stats.ts";

/** The unthrottled reference load's connections (autocannon keeps this many requests in flight). */
const CONNECTIONS = Number(process.env.BENCH_LOAD_CONNECTIONS ?? 10);
/**
 * The steady load's requests/s: about a third of what the 1-item route answers at 10 connections on this machine
 * when it is quiet, so that the probes measure the path under load, not a queue.
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

export type Condition =
	| "unloaded"
	| "same stream"
	| "another stream"
	| "bare pipeline alone"
	| "bare pipeline, same stream"
	| "bare pipeline, another stream"
	| "same stream, unthrottled";
const CONDITIONS: Condition[] = ["unloaded", "same stream", "another stream", "bare pipeline alone", "bare pipeline, same stream", "bare pipeline, another stream", "same stream, unthrottled"];
const LABELS: Record<Condition, string> = {
	unloaded: "probes alone (baseline)",
	"same stream": "steady load on the renderer's stream",
	"another stream": "steady load on another stream",
	"bare pipeline alone": "bare pipeline: probes alone",
	"bare pipeline, same stream": "bare pipeline: steady load on the renderer's stream",
	"bare pipeline, another stream": "bare pipeline: steady load on another stream",
	"same stream, unthrottled": "unthrottled load on the renderer's stream (reference)",
};
const BARE: Condition[] = ["bare pipeline alone", "bare pipeline, same stream", "bare pipeline, another stream"];

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
	/** How far the steady loader's latest send fell behind its time, ms (0 when unloaded or unthrottled). */
	loadLateMs: number;
	/** The probed server's CPU (all its processes) during the probes, per request it answered meanwhile (probes and load), ms. */
	cpuPerRequest: number;
}

export interface UnderLoad {
	rounds: Probes[][];
	connections: number;
	rate: number;
	probeRate: number;
	seconds: number;
}

/** autocannon's CLI posting 1-item requests to `target`'s stream for `seconds` as fast as they are answered (the reference). */
function startUnthrottled(url: string, target: BenchStream, seconds: number): { child: ChildProcess; done: Promise<{ rps: number; failed: number; lateMs: number }> } {
	const args = ["-n", "-j", "-c", String(CONNECTIONS), "-d", String(seconds), "-m", "POST"];
	args.push("-H", `Authorization=Bearer ${target.key}`, "-H", "Content-Type=application/json");
	args.push("-b", JSON.stringify({ id: "load", region: "North", revenue: 1200 }), `${url}/api/ingest`);
	const child = spawn(AUTOCANNON, args, { stdio: ["ignore", "pipe", "pipe"] });
	let out = "";
	child.stdout?.on("data", (chunk: Buffer) => {
		out += chunk.toString();
	});
	const done = new Promise<{ rps: number; failed: number; lateMs: number }>((resolve, reject) => {
		child.on("exit", (code) => {
			if (code !== 0) return reject(new Error(`autocannon exited ${code}`));
			const result = JSON.parse(out) as { requests: { average: number }; non2xx: number; errors: number; timeouts: number };
			resolve({ rps: result.requests.average, failed: result.non2xx + result.errors + result.timeouts, lateMs: 0 });
		});
	});
	return { child, done };
}

/** The load of `condition`, started `RAMP_MS` before the probes and running until they are done. */
function startLoad(condition: Condition, url: string, pipelineUrl: string, probed: BenchStream, other: BenchStream) {
	const seconds = SECONDS + RAMP_MS / 1000 + 1;
	const paced = (target: string, key: string | null) => startPacedLoad(target, RATE, seconds, key).done;
	switch (condition) {
		case "unloaded":
		case "bare pipeline alone":
			return null;
		case "same stream":
			return { url, stream: probed.stream, done: paced(`${url}/api/ingest`, probed.key) };
		case "another stream":
			return { url, stream: other.stream, done: paced(`${url}/api/ingest`, other.key) };
		case "bare pipeline, same stream":
			return { url: pipelineUrl, stream: PIPELINE_PROBED, done: paced(`${pipelineUrl}/ingest/${PIPELINE_PROBED}`, null) };
		case "bare pipeline, another stream":
			return { url: pipelineUrl, stream: PIPELINE_OTHER, done: paced(`${pipelineUrl}/ingest/${PIPELINE_OTHER}`, null) };
		case "same stream, unthrottled":
			return { url, stream: probed.stream, done: startUnthrottled(url, probed, seconds).done };
	}
}

/** The bare pipeline's streams (any name makes one). */
const PIPELINE_PROBED = "probed";
const PIPELINE_OTHER = "other";

/** A frame that has not come PROBE_TIMEOUT_MS after its 202 fails the run: it was lost. */
async function withTimeout(arrival: Promise<number>, marker: string): Promise<number> {
	let timer: NodeJS.Timeout | undefined;
	const lost = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new Error(`no frame for ${marker} ${PROBE_TIMEOUT_MS} ms after its 202`)), PROBE_TIMEOUT_MS);
	});
	return Promise.race([arrival, lost]).finally(() => clearTimeout(timer));
}

/** One probe: a 1-item POST to `postUrl` whose item carries a marker, timed until its 202 and until `socket` has its frame. */
async function probeOnce(postUrl: string, headers: Record<string, string>, socket: MarkerSocket, i: number) {
	const marker = `probe-${i}-${crypto.randomUUID().slice(0, 8)}`;
	const arrival = socket.waitFor(marker);
	const start = performance.now();
	const response = await fetch(postUrl, { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body: JSON.stringify({ id: marker, n: i }) });
	const accepted = performance.now() - start;
	if (response.status !== 202) throw new Error(`probe to ${postUrl} answered ${response.status}`);
	await response.arrayBuffer();
	// The clock starts at the 202, so a slow POST on a busy machine is not taken for a lost frame.
	return { accepted, endToEnd: (await withTimeout(arrival, marker)) - start };
}

/** Probes at PROBE_RATE for `ms`, each sent on time whether or not the ones before it have their frame. */
async function probe(send: (i: number) => Promise<{ accepted: number; endToEnd: number }>, ms: number) {
	const pending: Promise<{ accepted: number; endToEnd: number }>[] = [];
	const count = Math.round((ms / 1000) * PROBE_RATE);
	const begin = performance.now();
	for (let i = 0; i < count; i++) {
		const due = begin + (i * 1000) / PROBE_RATE;
		await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
		const sent = send(i);
		// Handled at once, so that a probe failing while later ones are still being sent is not an unhandled rejection.
		sent.catch(() => undefined);
		pending.push(sent);
	}
	const results = await Promise.all(pending);
	return { endToEnd: results.map((result) => result.endToEnd), accepted: results.map((result) => result.accepted) };
}

/** ROUNDS rounds, each probing every condition in turn; `pipelineUrl` is the bare pipeline's, `groups` the two servers' process groups. */
export async function latencyUnderLoad(url: string, adminToken: string, pipelineUrl: string, groups: { ours: number; pipeline: number }): Promise<UnderLoad> {
	const probed = await benchStream(url, adminToken);
	const other = await benchStream(url, adminToken);
	const socket = await openMarkerSocket(streamSocketUrl(url, probed.stream, probed.rendererToken));
	const pipelineSocket = await openMarkerSocket(`${pipelineUrl.replace("http", "ws")}/ws/${PIPELINE_PROBED}`);
	const rounds: Probes[][] = [];
	try {
		// One unmeasured probe on each server: it wakes the probe stream's object and waits out whatever the server was still doing.
		const ours = (i: number) => probeOnce(`${url}/api/ingest`, { Authorization: `Bearer ${probed.key}` }, socket, i);
		const pipeline = (i: number) => probeOnce(`${pipelineUrl}/ingest/${PIPELINE_PROBED}`, {}, pipelineSocket, i);
		await ours(-1);
		await pipeline(-1);
		for (let round = 0; round < ROUNDS; round++) {
			const results: Probes[] = [];
			for (const condition of CONDITIONS) {
				console.log(`under load, round ${round + 1}/${ROUNDS}: ${condition}, ${SECONDS} s of probes`);
				const load = startLoad(condition, url, pipelineUrl, probed, other);
				if (load) await new Promise((resolve) => setTimeout(resolve, RAMP_MS));
				const send = BARE.includes(condition) ? pipeline : ours;
				const group = BARE.includes(condition) ? groups.pipeline : groups.ours;
				const cpuBefore = groupCpuMs(group);
				const probes = await probe(send, SECONDS * 1000);
				const cpu = groupCpuMs(group) - cpuBefore;
				const summary = load ? await load.done : { rps: 0, failed: 0, lateMs: 0 };
				const served = probes.accepted.length + summary.rps * SECONDS;
				results.push({ condition, ...probes, loadRps: summary.rps, loadFailed: summary.failed, loadLateMs: summary.lateMs, cpuPerRequest: cpu / served });
				// Let the consumer apply what the load left queued, so the next condition starts from rest.
				if (load) await waitForSeq(load.url, adminToken, load.stream, Number.POSITIVE_INFINITY, 500);
			}
			rounds.push(results);
		}
	} finally {
		socket.close();
		pipelineSocket.close();
	}
	return { rounds, connections: CONNECTIONS, rate: RATE, probeRate: PROBE_RATE, seconds: SECONDS };
}

/** Each round's p99 of POST → frame for `condition`. */
export const roundP99s = (result: UnderLoad, condition: Condition) =>
	result.rounds.map((round) => percentiles(round.find((probes) => probes.condition === condition)?.endToEnd ?? []).p99);

/** Per round, the worse p99 of two conditions. */
const worse = (result: UnderLoad, a: Condition, b: Condition) => {
	const second = roundP99s(result, b);
	return roundP99s(result, a).map((p99, round) => Math.max(p99, second[round] as number));
};

/** Per round, the worse p99 of the two steady loads: goal 4's figure. */
export const loadedP99s = (result: UnderLoad) => worse(result, "same stream", "another stream");

/** Per round, the bare pipeline's worse p99 under the same two loads: goal 4's baseline, what the runtime alone costs for the trip. */
export const pipelineLoadedP99s = (result: UnderLoad) => worse(result, "bare pipeline, same stream", "bare pipeline, another stream");

const STEADY: Condition[] = ["same stream", "another stream", "bare pipeline, same stream", "bare pipeline, another stream"];

/** The steady loads' requests/s, per round (the lowest of them), to tell a load that fell short of its rate. */
const steadyRps = (result: UnderLoad) => result.rounds.map((round) => Math.min(...round.filter((probes) => STEADY.includes(probes.condition)).map((probes) => probes.loadRps)));

/** A sentence when a steady load did not reach its rate (the server could not keep up) or its loader fell behind. */
function shortfall(result: UnderLoad): string {
	const reached = quantile(steadyRps(result), 0.5);
	const late = Math.max(...result.rounds.flatMap((round) => round.map((probes) => probes.loadLateMs)));
	return [
		reached < 0.9 * result.rate
			? ` The steady load reached only ${fmt(reached, 0)} of its ${result.rate} requests/s (median of the rounds): the server could not keep up alongside the probes in this run, so these figures measure a queue, not the path.`
			: "",
		late > 100 ? ` The loader fell up to ${fmt(late, 0)} ms behind its schedule (the machine was busy), so some of its sends bunched up.` : "",
	].join("");
}

/** The median over rounds of a condition's server CPU per request. */
const cpuOf = (result: UnderLoad, condition: Condition) =>
	quantile(
		result.rounds.map((round) => round.find((probes) => probes.condition === condition)?.cpuPerRequest ?? Number.NaN),
		0.5,
	);

/** How goal 4 was measured, for the goals table. */
export function underLoadMethod(result: UnderLoad): string {
	const pipeline = pipelineLoadedP99s(result);
	const cpu = `server CPU per request under the load on the renderer's stream ${fmt(cpuOf(result, "same stream"))} ms, the bare pipeline's ${fmt(cpuOf(result, "bare pipeline, same stream"))} ms`;
	return `${result.rounds.length} rounds of ${result.seconds} s of probes at ${result.probeRate}/s per condition: alone, then with 1-item requests sent evenly at ${result.rate}/s (bench/lib/paced-load.ts) to the renderer's stream, then to another stream; the worse of the two loads per round. Baseline: the bare pipeline (our queue → consumer → object → sockets topology, no framework) under the same probes and loads in the same rounds, ${fmt(quantile(pipeline, 0.5), 1)} ms (${spread(pipeline, 1)}); ours with the probes alone ${fmt(quantile(roundP99s(result, "unloaded"), 0.5), 1)} ms; ${cpu}.${shortfall(result)}`;
}

/** The results section: one row per condition, medians of the rounds' figures and their spread. */
export function underLoadSection(result: UnderLoad): string {
	const unloaded = roundP99s(result, "unloaded");
	const pipelineUnloaded = roundP99s(result, "bare pipeline alone");
	const rows = CONDITIONS.map((condition) => {
		const runs = result.rounds.map((round) => round.find((probes) => probes.condition === condition) as Probes);
		const p99s = roundP99s(result, condition);
		const alone = BARE.includes(condition) ? pipelineUnloaded : unloaded;
		const of = (pick: (probes: Probes) => number) => medianSpread(runs.map(pick), 1);
		return [
			LABELS[condition],
			condition === "unloaded" || condition === "bare pipeline alone" ? "—" : `${of((probes) => probes.loadRps)}${runs.some((probes) => probes.loadFailed) ? `, ${runs.reduce((n, probes) => n + probes.loadFailed, 0)} non-2xx` : ""}`,
			of((probes) => percentiles(probes.accepted).p99),
			of((probes) => percentiles(probes.endToEnd).p50),
			medianSpread(p99s, 1),
			medianSpread(
				p99s.map((p99, round) => p99 / (alone[round] as number)),
				2,
			),
			of((probes) => probes.cpuPerRequest),
		];
	});
	const worst = loadedP99s(result);
	const pipeline = pipelineLoadedP99s(result);
	return [
		"### Ingest → renderer under load",
		"",
		`Probes: 1-item ingests at ${result.probeRate} per second (each sent on time, whether or not the ones before have their frame), each item carrying a marker, timed from just before the POST until a renderer socket on the probe's stream has the frame; ${result.seconds} s (${result.seconds * result.probeRate} probes) per condition and round, ${result.rounds.length} rounds, the conditions in turn in each. The steady load: 1-item requests sent at evenly spaced times, ${result.rate} per second, each on time whether or not the ones before were answered (bench/lib/paced-load.ts, a process of its own; autocannon's \`-R\` is not used, because it sends each second's requests back to back as the second starts: bursts at full speed, which the runs before 2026-12-01 15:30 UTC measured), to the renderer's own stream (whose object then applies the load and sends its frames to the same socket) or to another stream. The bare pipeline (bench/fixtures/bare-pipeline: our topology with nothing of ours, no framework: the POST sends its body to a queue with the same consumer settings and answers 202, the consumer hands it to the stream's Durable Object, which inserts it in SQLite and sends a frame to its hibernating sockets; in a \`wrangler dev\` of its own) gets the same probes and loads: what the runtime alone costs for the trip under that load. For reference, autocannon's unthrottled load on the renderer's stream (${result.connections} requests always in flight, as many as the server answers, so a probe also queues behind them). Each load runs ${RAMP_MS / 1000} s before the probes start. Per round p50 and p99 of the probes; medians of the rounds (min–max); the p99 ratio divides by the probes-alone p99 of the same server in the same round; server CPU is that of the probed server's processes (wrangler, its proxy workerd and the Worker's workerd, from /proc) during the probes, over the requests it answered meanwhile (probes and load). The servers, the loader and this script share the 2 cores.`,
		"",
		table(["condition", "load requests/s", "POST → 202 p99 ms", "POST → frame p50 ms", "POST → frame p99 ms", "p99 ÷ probes-alone p99", "server CPU ms per request"], rows),
		"",
		`Ingest → renderer p99 under a steady load of ${result.rate} requests/s (the worse of the two steady loads, per round): **${fmt(quantile(worst, 0.5), 1)} ms** (${spread(worst, 1)}), against ${fmt(quantile(unloaded, 0.5), 1)} ms with the probes alone in the same rounds. The bare pipeline under the same loads: ${fmt(quantile(pipeline, 0.5), 1)} ms (${spread(pipeline, 1)}), ${fmt(quantile(pipelineUnloaded, 0.5), 1)} ms alone.${shortfall(result)}`,
	].join("\n");
}
