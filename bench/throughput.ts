// `npm run bench:throughput`: items/s from POST to applied in the stream object, sustained, and the consumer's lag meanwhile.
import autocannon from "autocannon";
import { startServer } from "../scripts/dev-server.ts";
import { machine, writeSection } from "./lib/results.ts";
import { benchStream } from "./lib/setup.ts";
import { streamSeq } from "./lib/stream-state.ts";
import { fmt, quantile, table } from "./lib/stats.ts";

const SECONDS = Number(process.env.BENCH_SUSTAIN_SECONDS ?? 30);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const BATCHES = (process.env.BENCH_BATCHES ?? "1,100,1000").split(",").map(Number);

interface Run {
	batch: number;
	acceptedItems: number;
	appliedInWindow: number;
	drainSeconds: number;
	lags: number[];
	p50: number;
	p99: number;
	failed: number;
}

// Keyless items: every one adds a key and takes one seq, so seq counts the items applied.
const body = (size: number) => JSON.stringify(Array.from({ length: size }, (_, i) => ({ i, region: "North", revenue: 1200 + i })));

async function sustain(url: string, adminToken: string, batch: number): Promise<Run> {
	const target = await benchStream(url, adminToken, null);
	let acceptedItems = 0;
	const lags: number[] = [];
	const done = new Promise<autocannon.Result>((resolve, reject) => {
		const instance = autocannon(
			{
				url: `${url}/api/ingest`,
				method: "POST",
				connections: CONNECTIONS,
				duration: SECONDS,
				headers: { Authorization: `Bearer ${target.key}`, "Content-Type": "application/json" },
				body: body(batch),
			},
			(error, result) => (error ? reject(error) : resolve(result)),
		);
		instance.on("response", (_client, status) => {
			if (status === 202) acceptedItems += batch;
		});
	});
	// Sample the lag once a second: items accepted (202 received) but not yet applied.
	const sampler = setInterval(() => {
		void streamSeq(url, adminToken, target.stream).then((seq) => lags.push(Math.max(0, acceptedItems - seq)));
	}, 1000);
	const result = await done;
	clearInterval(sampler);
	const end = performance.now();
	const appliedInWindow = await streamSeq(url, adminToken, target.stream);
	const acceptedAtEnd = acceptedItems;
	// Then until the stream has everything (requests still in flight when autocannon stopped land too).
	let seq = appliedInWindow;
	while (seq < acceptedAtEnd) {
		await new Promise((resolve) => setTimeout(resolve, 100));
		seq = await streamSeq(url, adminToken, target.stream);
	}
	return {
		batch,
		acceptedItems: acceptedAtEnd,
		appliedInWindow,
		drainSeconds: (performance.now() - end) / 1000,
		lags,
		p50: result.latency.p50,
		p99: result.latency.p99,
		failed: result.non2xx + result.errors + result.timeouts,
	};
}

const server = await startServer({ vars: { MAX_ITEMS_PER_STREAM: "10000000" } });
try {
	const runs: Run[] = [];
	for (const batch of BATCHES) {
		console.log(`Batches of ${batch} items: ${CONNECTIONS} connections for ${SECONDS} s…`);
		runs.push(await sustain(server.url, server.adminToken, batch));
	}
	const body = [
		"## End-to-end throughput: POST → applied in the stream object",
		"",
		`Measured ${new Date().toISOString().slice(0, 10)} on ${machine()} by \`npm run bench:throughput\`: autocannon, ${CONNECTIONS} connections posting keyless batches to one stream for ${SECONDS} s each; the stream's seq (read once a second with the admin token) counts the items applied. The stream's item cap is raised for the run (\`MAX_ITEMS_PER_STREAM\`) so that no item is trimmed.`,
		"",
		table(
			["items per request", "accepted items/s", "applied items/s (during the load)", "end-to-end items/s (until all applied)", "lag p50 (items)", "lag max (items)", "drain after the load (s)", "POST p50 / p99 ms", "non-2xx"],
			runs.map((run) => [
				run.batch.toLocaleString("en-US"),
				fmt(run.acceptedItems / SECONDS, 0),
				fmt(run.appliedInWindow / SECONDS, 0),
				fmt(run.acceptedItems / (SECONDS + run.drainSeconds), 0),
				fmt(quantile(run.lags, 0.5), 0),
				fmt(Math.max(0, ...run.lags), 0),
				fmt(run.drainSeconds, 1),
				`${fmt(run.p50, 0)} / ${fmt(run.p99, 0)}`,
				run.failed,
			]),
		),
		"",
		"Lag: items accepted (their 202 received) minus items applied, sampled every second during the load. A lag that stays flat means the consumer keeps up; one that grows means the stream applies slower than the edge accepts, and the queue absorbs the difference.",
	].join("\n");
	console.log(`\n${body}\n`);
	writeSection("throughput", body);
} finally {
	await server.stop();
}
