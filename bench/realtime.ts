// `npm run bench:realtime`: ingest-to-renderer latency and fan-out against a local `npm start` server.
import { startServer } from "../scripts/dev-server.ts";
import { machine, writeSection } from "./lib/results.ts";
import { benchStream } from "./lib/setup.ts";
import { fmt, percentiles, quantile, table } from "./lib/stats.ts";

const LATENCY_SAMPLES = Number(process.env.BENCH_LATENCY_SAMPLES ?? 1000);
const FANOUT_SIZES = (process.env.BENCH_FANOUT ?? "1,100,1000").split(",").map(Number);
const FANOUT_ROUNDS = 5;

interface Socket {
	ws: WebSocket;
	/** Resolves when a frame mentioning `marker` arrives. */
	waitFor(marker: string): Promise<number>;
}

async function openSocket(url: string, stream: string, token: string): Promise<Socket> {
	const ws = new WebSocket(`${url.replace("http", "ws")}/api/streams/${stream}/ws?token=${token}`);
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
	const socket = await openSocket(url, target.stream, target.rendererToken);
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

async function fanout(url: string, adminToken: string, size: number): Promise<number> {
	const target = await benchStream(url, adminToken);
	const sockets: Socket[] = [];
	for (let i = 0; i < size; i += 50) {
		const batch = await Promise.all(
			Array.from({ length: Math.min(50, size - i) }, () => openSocket(url, target.stream, target.rendererToken)),
		);
		sockets.push(...batch);
	}
	const rounds: number[] = [];
	for (let round = 0; round < FANOUT_ROUNDS; round++) {
		const marker = `fan-${size}-${round}-${crypto.randomUUID().slice(0, 6)}`;
		const arrivals = sockets.map((socket) => socket.waitFor(marker));
		const start = performance.now();
		const response = await post(url, target.key, { id: marker });
		if (response.status !== 202) throw new Error(`ingest answered ${response.status}`);
		const last = Math.max(...(await Promise.all(arrivals)));
		rounds.push(last - start);
	}
	for (const socket of sockets) socket.ws.close();
	return quantile(rounds, 0.5);
}

const server = await startServer();
try {
	console.log(`Measuring ${LATENCY_SAMPLES} sequential ingests with one renderer…`);
	const lat = await latency(server.url, server.adminToken);
	const fan: [number, number][] = [];
	for (const size of FANOUT_SIZES) {
		console.log(`Measuring fan-out to ${size} renderers…`);
		fan.push([size, await fanout(server.url, server.adminToken, size)]);
	}
	const one = fan.find(([size]) => size === 1)?.[1] ?? fan[0]?.[1] ?? Number.NaN;
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
		`Fan-out: one change, time from the POST until the last of N renderers has the frame (median of ${FANOUT_ROUNDS} rounds).`,
		"",
		table(
			["renderers", "ms until the last has it", "÷ 1 renderer"],
			fan.map(([size, ms]) => [size, fmt(ms), fmt(ms / one)]),
		),
	].join("\n");
	console.log(`\n${body}\n`);
	writeSection("realtime", body);
} finally {
	await server.stop();
}
