// `npm run bench:realtime`: ingest-to-renderer latency and fan-out against a local `npm start` server, the fan-out
// side by side with partyserver's bare broadcast (bench/fixtures/partyserver-peer) in a `wrangler dev` of its own.
import { readFileSync } from "node:fs";
import path from "node:path";
import { startServer } from "../scripts/dev-server.ts";
import { machine, writeSection } from "./lib/results.ts";
import { benchStream } from "./lib/setup.ts";
import { fmt, medianSpread, percentiles, quantile, table } from "./lib/stats.ts";
import { startWranglerDev } from "./lib/wrangler-dev.ts";
import { recordGoal } from "./lib/goals.ts";
import { latencyUnderLoad, loadedP99s, roundP99s, type UnderLoad, underLoadMethod, underLoadSection } from "./lib/latency-under-load.ts";

const LATENCY_SAMPLES = Number(process.env.BENCH_LATENCY_SAMPLES ?? 1000);
const FANOUT_SIZES = (process.env.BENCH_FANOUT ?? "1,100,1000").split(",").map(Number);
const FANOUT_ROUNDS = Number(process.env.BENCH_FANOUT_ROUNDS ?? 5);
/** The peer's installed version, for the results' text. */
const PEER_VERSION = (JSON.parse(readFileSync(path.join(import.meta.dirname, "..", "node_modules", "partyserver", "package.json"), "utf8")) as { version: string }).version;

interface Socket {
	ws: WebSocket;
	/** Resolves when a frame mentioning `marker` arrives. */
	waitFor(marker: string): Promise<number>;
}

const streamSocketUrl = (url: string, stream: string, token: string) => `${url.replace("http", "ws")}/api/streams/${stream}/ws?token=${token}`;

/** A socket that has had its first frame (our snapshot; the peer's "connected"). */
async function openSocket(socketUrl: string): Promise<Socket> {
	const ws = new WebSocket(socketUrl);
	const waiters = new Map<string, (at: number) => void>();
	ws.addEventListener("message", (event) => {
		const at = performance.now();
		const text = String(event.data);
		for (const [marker, resolve] of waiters) {
			if (text.includes(marker)) {
				waiters.delete(marker);
				resolve(at);
			}
		}
	});
	const snapshot = new Promise<void>((resolve, reject) => {
		ws.addEventListener("message", () => resolve(), { once: true });
		ws.addEventListener("error", () => reject(new Error("socket error")), { once: true });
	});
	await snapshot;
	return { ws, waitFor: (marker) => new Promise((resolve) => waiters.set(marker, resolve)) };
}

function post(url: string, key: string, body: unknown): Promise<Response> {
	return fetch(`${url}/api/ingest`, {
		method: "POST",
		headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
		body: JSON.stringify(body),
	});
}

async function latency(url: string, adminToken: string) {
	const target = await benchStream(url, adminToken);
	const socket = await openSocket(streamSocketUrl(url, target.stream, target.rendererToken));
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
async function openSockets(socketUrl: string, size: number): Promise<Socket[]> {
	const sockets: Socket[] = [];
	for (let i = 0; i < size; i += 50) sockets.push(...(await Promise.all(Array.from({ length: Math.min(50, size - i) }, () => openSocket(socketUrl)))));
	return sockets;
}

/** One change: ms from just before its POST until the last socket has a frame with its marker. */
async function fanoutRound(sockets: Socket[], marker: string, send: () => Promise<Response>): Promise<number> {
	const arrivals = sockets.map((socket) => socket.waitFor(marker));
	const start = performance.now();
	const response = await send();
	if (response.status !== 202) throw new Error(`POST answered ${response.status}`);
	await response.arrayBuffer();
	return Math.max(...(await Promise.all(arrivals))) - start;
}

interface Fanout {
	size: number;
	ours: number[];
	peer: number[];
}

/** Fan-out to `size` renderers of our stream and to `size` connections of the peer's room, rounds interleaved. */
async function fanout(url: string, adminToken: string, peerUrl: string, size: number): Promise<Fanout> {
	const target = await benchStream(url, adminToken);
	const room = `${peerUrl}/parties/broadcast/fan-${size}-${crypto.randomUUID().slice(0, 6)}`;
	const ours = await openSockets(streamSocketUrl(url, target.stream, target.rendererToken), size);
	const theirs = await openSockets(room.replace("http", "ws"), size);
	const result: Fanout = { size, ours: [], peer: [] };
	// One unmeasured round each: the first broadcast after connecting may wake a hibernated object.
	for (let round = -1; round < FANOUT_ROUNDS; round++) {
		const marker = `fan-${size}-${round}-${crypto.randomUUID().slice(0, 6)}`;
		const body = JSON.stringify({ id: marker });
		const mine = await fanoutRound(ours, marker, () => post(url, target.key, { id: marker }));
		const peer = await fanoutRound(theirs, marker, () => fetch(room, { method: "POST", body }));
		if (round < 0) continue;
		result.ours.push(mine);
		result.peer.push(peer);
	}
	for (const socket of [...ours, ...theirs]) socket.ws.close();
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
			method: `${thousand.ours.length} rounds, ours then the peer's in each`,
		});
	}
	if (!underLoad) return;
	recordGoal("latency-under-load", {
		unit: "ms",
		values: loadedP99s(underLoad),
		baselines: roundP99s(underLoad, "unloaded"),
		valueLabel: "p99 under the steady load",
		baselineLabel: "p99 of the probes alone",
		method: underLoadMethod(underLoad),
	});
}

const server = await startServer();
const peer = await startWranglerDev("bench/fixtures/partyserver-peer/wrangler.toml", "partyserver peer");
try {
	console.log(`Measuring ${LATENCY_SAMPLES} sequential ingests with one renderer…`);
	const lat = await latency(server.url, server.adminToken);
	const fan: Fanout[] = [];
	for (const size of FANOUT_SIZES) {
		console.log(`Measuring fan-out to ${size} renderers, ours and partyserver's, interleaved…`);
		fan.push(await fanout(server.url, server.adminToken, peer.url, size));
	}
	console.log("Measuring ingest → renderer latency under load…");
	// A failure here (a lost frame) fails the run, but the fan-out's figures are still written and recorded.
	const underLoad = await latencyUnderLoad(server.url, server.adminToken).catch((error: unknown) => {
		console.error(`Latency under load failed: ${error instanceof Error ? error.message : String(error)}`);
		process.exitCode = 1;
		return null;
	});
	const median = (values: number[]) => quantile(values, 0.5);
	const one = median((fan.find((f) => f.size === 1) ?? fan[0])?.ours ?? []);
	// Each round's ratio (ours, then the peer's, one after the other), then their median and spread.
	const ratios = (f: Fanout) => f.ours.map((ms, round) => ms / (f.peer[round] ?? Number.NaN));
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
		`Fan-out: one change, time from the POST until the last of N renderers has the frame; ${FANOUT_ROUNDS} rounds, medians and (min–max). The peer is [partyserver](https://github.com/cloudflare/partykit/tree/main/packages/partyserver) ${PEER_VERSION} (a benchmark-only devDependency): bench/fixtures/partyserver-peer, a hibernating \`Server\` whose \`onRequest\` broadcasts the POSTed body to its room's connections, in a \`wrangler dev\` of its own; N connections to its room against N renderers of one of our streams, the same \`{"id": marker}\` body, each round ours then the peer's. Ours goes POST → edge (auth, validation) → queue → consumer → stream object (transaction) → sockets; the peer's POST → object → \`broadcast\`, nothing stored. Both servers, the N + N sockets and this script share 2 cores, also used by other work on the machine.`,
		"",
		table(
			["renderers", "ours: ms until the last has it", "÷ 1 renderer", "partyserver broadcast: ms", "ours ÷ partyserver"],
			fan.map((f) => [f.size, medianSpread(f.ours, 1), fmt(median(f.ours) / one), medianSpread(f.peer, 1), medianSpread(ratios(f))]),
		),
		"",
		largest ? `Fan-out of one ingest to ${largest.size.toLocaleString("en-US")} renderers: **${fmt(median(ratios(largest)))} ×** the time of partyserver's bare broadcast to as many connections (per round ${ratios(largest).map((r) => fmt(r)).join(", ")}).` : "",
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
	await Promise.all([server.stop(), peer.stop()]);
}
