// `npm run bench:realtime`: ingest-to-renderer latency and fan-out against a local `npm start` server, the fan-out
// side by side with partyserver's bare broadcast (bench/fixtures/partyserver-peer) in a `wrangler dev` of its own.
import { readFileSync } from "node:fs";
import path from "node:path";
import { startServer } from "../scripts/dev-server.ts";
import { machine, writeSection } from "./lib/results.ts";
import { groupCpuMs, serverProcessGroup } from "./lib/server-cpu.ts";
import { benchStream } from "./lib/setup.ts";
import { fmt, medianSpread, percentiles, quantile, table } from "./lib/stats.ts";
import { type MarkerSocket, openMarkerSocket, streamSocketUrl } from "./lib/marker-socket.ts";
import { startWranglerDev } from "./lib/wrangler-dev.ts";
import { recordGoal } from "./lib/goals.ts";
import { latencyUnderLoad, loadedP99s, type UnderLoad, pipelineLoadedP99s, underLoadMethod, underLoadSection } from "./lib/latency-under-load.ts";

const LATENCY_SAMPLES = Number(process.env.BENCH_LATENCY_SAMPLES ?? 1000);
const FANOUT_SIZES = (process.env.BENCH_FANOUT ?? "1,100,1000").split(",").map(Number);
const FANOUT_ROUNDS = Number(process.env.BENCH_FANOUT_ROUNDS ?? 5);
/** How long after closing a fan-out's sockets the servers are left alone (see fanout()). */
const SOCKETS_RELEASED_MS = 15_000;
/** The peer's installed version, for the results' text. */
const PEER_VERSION = (JSON.parse(readFileSync(path.join(import.meta.dirname, "..", "node_modules", "partyserver", "package.json"), "utf8")) as { version: string }).version;

function post(url: string, key: string, body: unknown): Promise<Response> {
	return fetch(`${url}/api/ingest`, {
		method: "POST",
		headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
		body: JSON.stringify(body),
	});
}

async function latency(url: string, adminToken: string) {
	const target = await benchStream(url, adminToken);
	const socket = await openMarkerSocket(streamSocketUrl(url, target.stream, target.rendererToken));
	const baseline: number[] = [];
	for (let i = 0; i < LATENCY_SAMPLES; i++) {
		const start = performance.now();
		await (await fetch(`${url}/api/health`)).arrayBuffer();
		baseline.push(performance.now() - start);
	}
	const endToEnd: number[] = [];
	const accepted: number[] = [];
	for (let i = 0; i < LATENCY_SAMPLES; i++) {
		const marker = `lat-${i}-${crypto.randomUUID().slice(0, 6)}`;
		const arrival = socket.waitFor(marker);
		const start = performance.now();
		const response = await post(url, target.key, { id: marker, n: i });
		accepted.push(performance.now() - start);
		if (response.status !== 202) throw new Error(`ingest answered ${response.status}`);
		await response.arrayBuffer();
		endToEnd.push((await arrival) - start);
	}
	socket.ws.close();
	return { baseline: percentiles(baseline), accepted: percentiles(accepted), endToEnd: percentiles(endToEnd) };
}

/** `size` sockets, opened 50 at a time. */
async function openSockets(socketUrl: string, size: number): Promise<MarkerSocket[]> {
	const sockets: MarkerSocket[] = [];
	for (let i = 0; i < size; i += 50) sockets.push(...(await Promise.all(Array.from({ length: Math.min(50, size - i) }, () => openMarkerSocket(socketUrl)))));
	return sockets;
}

interface Round {
	/** ms from just before the POST until the first socket had the frame. */
	first: number;
	/** ... until the last one had it. */
	last: number;
	/** ms of CPU the server's processes (wrangler and its workerd) used meanwhile, from /proc (10 ms ticks). */
	cpu: number;
}

/** One change: ms from just before its POST until the first and the last socket have a frame with its marker. */
async function fanoutRound(sockets: MarkerSocket[], group: number, marker: string, send: () => Promise<Response>): Promise<Round> {
	const arrivals = sockets.map((socket) => socket.waitFor(marker));
	const cpuBefore = groupCpuMs(group);
	const start = performance.now();
	const response = await send();
	if (response.status !== 202) throw new Error(`POST answered ${response.status}`);
	await response.arrayBuffer();
	const times = (await Promise.all(arrivals)).map((at) => at - start);
	return { first: Math.min(...times), last: Math.max(...times), cpu: groupCpuMs(group) - cpuBefore };
}

interface Fanout {
	size: number;
	/** Per round: ms until the last renderer had the frame. */
	ours: number[];
	peer: number[];
	/** The peer broadcasting our frame (the contract's `changes` frame) instead of its bare body. */
	peerSized: number[];
	/** The bare pipeline: our topology (queue → consumer → object → sockets) with nothing of ours. */
	pipeline: number[];
	/** Per round: ms until the first had it. */
	oursFirst: number[];
	peerFirst: number[];
	/** Per round: the server's CPU ms. */
	oursCpu: number[];
	peerCpu: number[];
	/** Bytes of our frame and of the peer's bare body. */
	frameBytes: number;
	bodyBytes: number;
}

interface Groups {
	ours: number;
	peer: number;
	pipeline: number;
}

/**
 * Fan-out to `size` renderers of our stream, to `size` connections of the peer's room (its bare body, then our own
 * frame's text) and to `size` sockets of the bare pipeline's stream; in each round every side once, the order
 * turning by round so that no side always runs in the wake of another.
 */
async function fanout(url: string, adminToken: string, peerUrl: string, pipelineUrl: string, size: number, groups: Groups): Promise<Fanout> {
	const target = await benchStream(url, adminToken);
	const room = `${peerUrl}/parties/broadcast/fan-${size}-${crypto.randomUUID().slice(0, 6)}`;
	const pipelineStream = `fan-${size}-${crypto.randomUUID().slice(0, 6)}`;
	const ours = await openSockets(streamSocketUrl(url, target.stream, target.rendererToken), size);
	const theirs = await openSockets(room.replace("http", "ws"), size);
	const piped = await openSockets(`${pipelineUrl.replace("http", "ws")}/ws/${pipelineStream}`, size);
	const result: Fanout = { size, ours: [], peer: [], peerSized: [], pipeline: [], oursFirst: [], peerFirst: [], oursCpu: [], peerCpu: [], frameBytes: 0, bodyBytes: 0 };
	let template: { frame: string; marker: string } | null = null;
	// One unmeasured round: the first broadcast after connecting may wake a hibernated object; it also tells our frame's size.
	for (let round = -1; round < FANOUT_ROUNDS; round++) {
		const marker = `fan-${size}-${round}-${crypto.randomUUID().slice(0, 6)}`;
		const body = JSON.stringify({ id: marker });
		// Our frame itself (known after the first round), with this round's marker: the same bytes, the same compression.
		const sized = template ? template.frame.replaceAll(template.marker, marker) : body;
		const sides: (() => Promise<void>)[] = [
			async () => {
				const r = await fanoutRound(ours, groups.ours, marker, () => post(url, target.key, { id: marker }));
				if (round < 0) return;
				result.ours.push(r.last);
				result.oursFirst.push(r.first);
				result.oursCpu.push(r.cpu);
			},
			async () => {
				const r = await fanoutRound(theirs, groups.peer, marker, () => fetch(room, { method: "POST", body }));
				if (round < 0) return;
				result.peer.push(r.last);
				result.peerFirst.push(r.first);
				result.peerCpu.push(r.cpu);
			},
			async () => {
				const r = await fanoutRound(theirs, groups.peer, marker, () => fetch(room, { method: "POST", body: sized }));
				if (round >= 0) result.peerSized.push(r.last);
			},
			async () => {
				const r = await fanoutRound(piped, groups.pipeline, marker, () => fetch(`${pipelineUrl}/ingest/${pipelineStream}`, { method: "POST", body }));
				if (round >= 0) result.pipeline.push(r.last);
			},
		];
		const turn = ((round % sides.length) + sides.length) % sides.length;
		for (const side of [...sides.slice(turn), ...sides.slice(0, turn)]) await side();
		if (round < 0) {
			template = { frame: ours[0]?.lastFrame() ?? body, marker };
			result.frameBytes = Buffer.byteLength(template.frame);
			result.bodyBytes = Buffer.byteLength(body);
		}
	}
	for (const socket of [...ours, ...theirs, ...piped]) socket.ws.close();
	// About 10 s after an object's sockets close, local workerd stalls its process while it lets the object go
	// (1.5–2 s for 1,000 sockets, the bare pipeline too): wait it out, so that it falls into no later measurement.
	await new Promise((resolve) => setTimeout(resolve, SOCKETS_RELEASED_MS));
	return result;
}

/** Goals 3 and 4: fan-out to 1,000 renderers against the peer's, per round; p99 under load against unloaded, per round. */
function recordRealtimeGoals(fan: Fanout[], underLoad: UnderLoad | null): void {
	const thousand = fan.find((f) => f.size === 1000);
	if (thousand) {
		recordGoal("fanout-1000", {
			unit: "ms",
			values: thousand.ours,
			baselines: thousand.peer,
			valueLabel: "ours, POST until the last renderer has the frame",
			baselineLabel: `partyserver ${PEER_VERSION} broadcast`,
			method: `${thousand.ours.length} rounds, ours and the peer's in each, the order turning by round; in the same rounds partyserver broadcasting our ${thousand.frameBytes}-byte frame (not its ${thousand.bodyBytes}-byte body) takes ${fmt(quantile(thousand.peerSized, 0.5), 1)} ms (ours ÷ it ${fmt(quantile(thousand.ours.map((ms, round) => ms / (thousand.peerSized[round] ?? Number.NaN)), 0.5))} ×), and the bare pipeline (our topology, nothing of ours) ${fmt(quantile(thousand.pipeline, 0.5), 1)} ms (ours ÷ it ${fmt(quantile(thousand.ours.map((ms, round) => ms / (thousand.pipeline[round] ?? Number.NaN)), 0.5))} ×)`,
		});
	}
	if (!underLoad) return;
	recordGoal("latency-under-load", {
		unit: "ms",
		values: loadedP99s(underLoad),
		baselines: pipelineLoadedP99s(underLoad),
		valueLabel: "POST → frame p99 under the steady load",
		baselineLabel: "bare pipeline's POST → frame p99 under the same loads",
		method: underLoadMethod(underLoad),
	});
}

const server = await startServer();
const peer = await startWranglerDev("bench/fixtures/partyserver-peer/wrangler.toml", "partyserver peer");
// The bare pipeline gets the under-load probes and loads too: what the runtime alone costs for the trip under them.
const bare = await startWranglerDev("bench/fixtures/bare-pipeline/wrangler.toml", "bare pipeline");
try {
	const port = (running: { url: string }) => Number(new URL(running.url).port);
	const groups = { ours: serverProcessGroup(port(server)), peer: serverProcessGroup(port(peer)), pipeline: serverProcessGroup(port(bare)) };
	console.log(`Measuring ${LATENCY_SAMPLES} sequential ingests with one renderer…`);
	const lat = await latency(server.url, server.adminToken);
	// Under load before the fan-out: about 10 s after a Durable Object's 1,000 hibernatable sockets close, local
	// workerd stalls the whole process for 1.5–2 s (the bare pipeline too, with none of our code: docs/benchmarks.md),
	// which had put 3–4 s outliers into the first loaded condition when it ran after the fan-out.
	console.log("Measuring ingest → renderer latency under load…");
	// A failure here (a lost frame) fails the run, but the fan-out's figures are still measured, written and recorded.
	const underLoad = await latencyUnderLoad(server.url, server.adminToken, bare.url, { ours: groups.ours, pipeline: groups.pipeline }).catch((error: unknown) => {
		console.error(`Latency under load failed: ${error instanceof Error ? error.message : String(error)}`);
		process.exitCode = 1;
		return null;
	});
	const fan: Fanout[] = [];
	for (const size of FANOUT_SIZES) {
		console.log(`Measuring fan-out to ${size} renderers, ours and partyserver's, interleaved…`);
		fan.push(await fanout(server.url, server.adminToken, peer.url, bare.url, size, groups));
	}
	const median = (values: number[]) => quantile(values, 0.5);
	const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
	const one = median((fan.find((f) => f.size === 1) ?? fan[0])?.ours ?? []);
	// Each round's ratio (ours and the peer's, one right after the other), then their median and spread.
	const ratiosTo = (f: Fanout, baseline: number[]) => f.ours.map((ms, round) => ms / (baseline[round] ?? Number.NaN));
	const ratios = (f: Fanout) => ratiosTo(f, f.peer);
	const largest = fan.at(-1);
	const body = [
		"## Realtime: ingest → renderer",
		"",
		`Measured ${new Date().toISOString().slice(0, 10)} on ${machine()} by \`npm run bench:realtime\`.`,
		"",
		`Latency: ${LATENCY_SAMPLES} sequential single-item ingests with one renderer connected, from just before the POST to the frame's arrival. Baseline: a \`GET /api/health\` round trip on the same server in the same run.`,
		"",
		table(
			["figure", "p50 ms", "p95 ms", "p99 ms", "p50 ÷ baseline p50"],
			[
				["baseline: GET /api/health round trip", fmt(lat.baseline.p50), fmt(lat.baseline.p95), fmt(lat.baseline.p99), "1.00"],
				["POST /api/ingest → 202", fmt(lat.accepted.p50), fmt(lat.accepted.p95), fmt(lat.accepted.p99), fmt(lat.accepted.p50 / lat.baseline.p50)],
				["POST → frame at the renderer", fmt(lat.endToEnd.p50), fmt(lat.endToEnd.p95), fmt(lat.endToEnd.p99), fmt(lat.endToEnd.p50 / lat.baseline.p50)],
			],
		),
		"",
		`Fan-out: one change, time from the POST until the last of N renderers has the frame; ${FANOUT_ROUNDS} rounds, medians and (min–max). The peer is [partyserver](https://github.com/cloudflare/partykit/tree/main/packages/partyserver) ${PEER_VERSION} (a benchmark-only devDependency): bench/fixtures/partyserver-peer, a hibernating \`Server\` whose \`onRequest\` broadcasts the POSTed body to its room's connections, in a \`wrangler dev\` of its own; N connections to its room against N renderers of one of our streams, the same \`{"id": marker}\` body, one right after the other in each round. Two more sides in the same rounds tell what the difference is made of: the peer broadcasting our frame's very text (the contract's \`changes\` frame, ${fan[0]?.frameBytes ?? 0} bytes against the bare body's ${fan[0]?.bodyBytes ?? 0}, the same bytes and compression), and the bare pipeline (bench/fixtures/bare-pipeline: our topology with nothing of ours, POST → queue → consumer → object → sockets, no framework, in a \`wrangler dev\` of its own). The order of the four sides turns by round. Ours goes POST → edge (auth, validation) → queue → consumer → stream object (transaction) → sockets; the peer's POST → object → \`broadcast\`, nothing stored. Both servers, the N + N sockets (one Node process, which receives both sides' frames the same way) and this script share 2 cores, also used by other work on the machine. Server CPU: user + system time of each server's processes (wrangler and its workerd, from \`/proc\`, 10 ms ticks) during a round, the mean of the rounds.`,
		"",
		table(
			[
				"renderers",
				"ours: ms until the last has it",
				"÷ 1 renderer",
				"partyserver broadcast: ms",
				"ours ÷ partyserver",
				"partyserver broadcasting our frame: ms",
				"ours ÷ that",
				"bare pipeline: ms",
				"ours ÷ bare pipeline",
				"ms until the first has it, ours / partyserver",
				"server CPU ms per round, ours / partyserver",
			],
			fan.map((f) => [
				f.size,
				medianSpread(f.ours, 1),
				fmt(median(f.ours) / one),
				medianSpread(f.peer, 1),
				medianSpread(ratios(f)),
				medianSpread(f.peerSized, 1),
				medianSpread(ratiosTo(f, f.peerSized)),
				medianSpread(f.pipeline, 1),
				medianSpread(ratiosTo(f, f.pipeline)),
				`${fmt(median(f.oursFirst), 1)} / ${fmt(median(f.peerFirst), 1)}`,
				`${fmt(mean(f.oursCpu), 0)} / ${fmt(mean(f.peerCpu), 0)}`,
			]),
		),
		"",
		largest
			? `Fan-out of one ingest to ${largest.size.toLocaleString("en-US")} renderers: **${fmt(median(ratios(largest)))} ×** the time of partyserver's bare broadcast to as many connections (per round ${ratios(largest).map((r) => fmt(r)).join(", ")}); ${fmt(median(ratiosTo(largest, largest.peerSized)))} × partyserver broadcasting our frame, ${fmt(median(ratiosTo(largest, largest.pipeline)))} × the bare pipeline.`
			: "",
	].join("\n");
	console.log(`\n${body}\n`);
	writeSection("realtime", body);
	if (underLoad) {
		const loadBody = underLoadSection(underLoad);
		console.log(`\n${loadBody}\n`);
		writeSection("realtime-load", loadBody, { place: { after: "realtime" } });
	}
	recordRealtimeGoals(fan, underLoad);
} finally {
	await Promise.all([server.stop(), peer.stop(), bare.stop()]);
}
