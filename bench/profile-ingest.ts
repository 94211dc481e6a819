// `npm run bench:profile`: where the Worker's JavaScript spends its time under an ingest load (1 item per request; BENCH_PROFILE_ITEMS),
// from a V8 CPU profile taken through wrangler's inspector. Native work (workerd's I/O, SQLite) is not in it.
import { writeFileSync } from "node:fs";
import { TEST_WORKER, freePort, startServer } from "../scripts/dev-server.ts";
import { runLoad } from "./lib/load.ts";
import { benchStream } from "./lib/setup.ts";
import { machine, writeSection } from "./lib/results.ts";
import { fmt, table } from "./lib/stats.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ITEMS = Number(process.env.BENCH_PROFILE_ITEMS ?? 1);

interface ProfileNode {
	id: number;
	callFrame: { functionName: string; url: string; lineNumber: number };
	children?: number[];
}
interface Profile {
	nodes: ProfileNode[];
	samples: number[];
	timeDeltas: number[];
}

/** A minimal Chrome DevTools Protocol client over the inspector's WebSocket. */
async function inspector(port: number) {
	// Wrangler's inspector proxy wants a local Origin; Node's WebSocket (undici) can send headers.
	const init = { headers: { Origin: "http://localhost" } } as unknown as string[];
	const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, init);
	await new Promise((resolve, reject) => {
		ws.addEventListener("open", resolve, { once: true });
		ws.addEventListener("error", reject, { once: true });
	});
	let next = 0;
	const pending = new Map<number, (result: unknown) => void>();
	ws.addEventListener("message", (event) => {
		const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
		if (message.id !== undefined) pending.get(message.id)?.(message.result);
	});
	return {
		send<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
			const id = ++next;
			ws.send(JSON.stringify({ id, method, params }));
			return new Promise((resolve) => pending.set(id, resolve as (result: unknown) => void));
		},
		close: () => ws.close(),
	};
}

/** Where a frame's code lives: our source by file, libraries by package. */
function origin(url: string): string {
	if (url === "") return "(runtime / native)";
	const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
	if (pkg) return pkg[1] as string;
	const src = /(src\/.*)$/.exec(url);
	return src ? (src[1] as string) : url;
}

const inspectorPort = await freePort();
const server = await startServer({ args: [TEST_WORKER, "--inspector-port", String(inspectorPort)] });
try {
	const target = await benchStream(server.url, server.adminToken);
	const load = (seconds: number) =>
		runLoad({
			url: `${server.url}/api/ingest`,
			headers: { "Content-Type": "application/json", Authorization: `Bearer ${target.key}` },
			body: JSON.stringify(Array.from({ length: ITEMS }, (_, i) => ({ id: `item-${i}`, region: "North", revenue: 1200 + i }))),
			connections: 10,
			seconds,
		});
	await load(2);
	const cdp = await inspector(inspectorPort);
	await cdp.send("Profiler.enable");
	await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
	await cdp.send("Profiler.start");
	const result = await load(SECONDS);
	const { profile } = await cdp.send<{ profile: Profile }>("Profiler.stop");
	cdp.close();
	// The raw profile, for Chrome DevTools' Performance panel, when asked for.
	if (process.env.BENCH_PROFILE_OUT) writeFileSync(process.env.BENCH_PROFILE_OUT, JSON.stringify(profile));

	const byId = new Map(profile.nodes.map((node) => [node.id, node]));
	const self = new Map<number, number>();
	profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
	const total = [...self.values()].reduce((a, b) => a + b, 0);
	const idle = [...self].filter(([id]) => ["(idle)", "(program)", "(garbage collector)"].includes(byId.get(id)?.callFrame.functionName ?? "")).reduce((sum, [, ms]) => sum + ms, 0);
	const busy = new Map<string, number>();
	const functions = new Map<string, number>();
	for (const [id, ms] of self) {
		const frame = byId.get(id)?.callFrame;
		if (!frame) continue;
		const name = frame.functionName || "(anonymous)";
		const where = ["(idle)", "(program)", "(garbage collector)"].includes(name) ? name : origin(frame.url);
		busy.set(where, (busy.get(where) ?? 0) + ms);
		const fn = `${name} — ${origin(frame.url)}:${frame.lineNumber + 1}`;
		functions.set(fn, (functions.get(fn) ?? 0) + ms);
	}
	// Total time: each sample counts once for every function on its stack. This is what found a
	// console line per queue batch costing a tenth of the isolate; self time spread it over native frames.
	const parent = new Map<number, number>();
	for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
	const inclusive = new Map<string, number>();
	for (const [id, ms] of self) {
		const seen = new Set<string>();
		for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
			const frame = byId.get(at)?.callFrame;
			if (!frame || frame.url === "") continue;
			const fn = `${frame.functionName || "(anonymous)"} — ${origin(frame.url)}:${frame.lineNumber + 1}`;
			if (!seen.has(fn)) inclusive.set(fn, (inclusive.get(fn) ?? 0) + ms);
			seen.add(fn);
		}
	}
	const perRequest = (ms: number) => fmt((ms / result.total) * 1000, 0);
	const body = [
		"## Where the Worker's time goes (CPU profile)",
		"",
		`Measured ${new Date().toISOString().slice(0, 10)} on ${machine()} by \`npm run bench:profile\`: a V8 CPU profile of the Worker's isolate (the Worker, its queue consumer and its Durable Objects run in it) taken through wrangler's inspector during ${SECONDS} s of ${ITEMS}-item ingests on 10 connections: ${result.total} requests (${fmt(result.requestsPerSecond, 0)}/s under the profiler). The first two tables count self time, the third the time of each function with its callees. Time spent in workerd's native code outside the isolate (HTTP, the queue broker, SQLite) is not in it, and the profiler itself slows the isolate down, so read shares, not absolute speed.`,
		"",
		table(["where (self time)", "ms", "µs per request"], [...busy].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([where, ms]) => [where, fmt(ms, 0), perRequest(ms)])),
		"",
		table(["function (self time)", "ms", "µs per request"], [...functions].sort((a, b) => b[1] - a[1]).slice(0, 20).map(([fn, ms]) => [fn, fmt(ms, 0), perRequest(ms)])),
		"",
		table(["function (total time, callees included)", "ms", "µs per request"], [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, 20).map(([fn, ms]) => [fn, fmt(ms, 0), perRequest(ms)])),
	].join("\n");
	console.log(`\n${body}\n`);
	writeSection("profile", body);
} finally {
	await server.stop();
}
