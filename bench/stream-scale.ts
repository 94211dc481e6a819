// `npm run bench:scale`: what a snapshot and a resume cost as one stream grows to 1k, 10k and 100k items.
import { readFileSync, readdirSync } from "node:fs";
import { TEST_WORKER, startServer } from "../scripts/dev-server.ts";
import { machine, writeSection } from "./lib/results.ts";
import { serverProcessGroup } from "./lib/server-cpu.ts";
import { benchStream } from "./lib/setup.ts";
import { waitForSeq } from "./lib/stream-state.ts";
import { fmt, quantile, table } from "./lib/stats.ts";

const SIZES = (process.env.BENCH_SIZES ?? "1000,10000,100000").split(",").map(Number);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);
const RESUME_BEHIND = 10;
const BATCH = 1000;

interface Row {
	size: number;
	snapshotMs: number;
	snapshotBytes: number;
	resumeMs: number;
	socketSnapshotMs: number;
	socketFrames: number;
	socketResumeMs: number;
	storageBytes: number;
	rssMiB: number;
}

/** Resident memory of the processes of the server's group, in MiB (workerd holds the Worker, its objects and their SQLite caches). */
function groupRssMiB(group: number): number {
	let kib = 0;
	for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
		try {
			const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
			if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]) !== group) continue;
			if (!readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("workerd")) continue;
			kib += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
		} catch {
			// Gone while we looked.
		}
	}
	return kib / 1024;
}

async function timed<T>(run: () => Promise<T>): Promise<[number, T]> {
	const start = performance.now();
	const value = await run();
	return [performance.now() - start, value];
}

/** Opens a renderer socket and resolves when the frame with "complete":true has arrived; counts the frames. */
function socketUntilComplete(url: string, stream: string, token: string, since?: number): Promise<{ ms: number; frames: number }> {
	return new Promise((resolve, reject) => {
		const start = performance.now();
		const query = since === undefined ? "" : `&since=${since}`;
		const ws = new WebSocket(`${url.replace("http", "ws")}/api/streams/${stream}/ws?token=${token}${query}`);
		let frames = 0;
		ws.addEventListener("message", (event) => {
			frames++;
			const text = String(event.data);
			if (text.includes('"complete":true')) {
				const ms = performance.now() - start;
				ws.close();
				resolve({ ms, frames });
			}
		});
		ws.addEventListener("error", () => reject(new Error("socket error")));
	});
}

const server = await startServer({ args: [TEST_WORKER] });
try {
	const group = serverProcessGroup(Number(new URL(server.url).port));
	const admin = { Authorization: `Bearer ${server.adminToken}` };
	const rows: Row[] = [];
	const baselineRss = groupRssMiB(group);
	for (const size of SIZES) {
		const target = await benchStream(server.url, server.adminToken);
		console.log(`Filling a stream with ${size.toLocaleString("en-US")} items…`);
		for (let from = 0; from < size; from += BATCH * 4) {
			await Promise.all(
				Array.from({ length: Math.min(4, Math.ceil((size - from) / BATCH)) }, async (_, slot) => {
					const start = from + slot * BATCH;
					const items = Array.from({ length: Math.min(BATCH, size - start) }, (_, i) => ({ id: `item-${start + i}`, region: "North", revenue: start + i, owner: "bench" }));
					const response = await fetch(`${server.url}/api/ingest`, {
						method: "POST",
						headers: { Authorization: `Bearer ${target.key}`, "Content-Type": "application/json" },
						body: JSON.stringify(items),
					});
					if (response.status !== 202) throw new Error(`fill: ${response.status}`);
				}),
			);
		}
		const head = await waitForSeq(server.url, server.adminToken, target.stream, size);
		const samples = { snapshot: [] as number[], resume: [] as number[], socket: [] as number[], socketResume: [] as number[] };
		let snapshotBytes = 0;
		let socketFrames = 0;
		for (let i = 0; i < REPEATS; i++) {
			const [snapshotMs, bytes] = await timed(async () => (await (await fetch(`${server.url}/api/streams/${target.stream}/items`, { headers: admin })).arrayBuffer()).byteLength);
			samples.snapshot.push(snapshotMs);
			snapshotBytes = bytes;
			const [resumeMs] = await timed(async () => (await fetch(`${server.url}/api/streams/${target.stream}/items?since=${head - RESUME_BEHIND}`, { headers: admin })).arrayBuffer());
			samples.resume.push(resumeMs);
			const socket = await socketUntilComplete(server.url, target.stream, target.rendererToken);
			samples.socket.push(socket.ms);
			socketFrames = socket.frames;
			samples.socketResume.push((await socketUntilComplete(server.url, target.stream, target.rendererToken, head - RESUME_BEHIND)).ms);
		}
		const storage = (await (await fetch(`${server.url}/api/bench/streams/${target.stream}/storage`)).json()) as { data: { bytes: number } };
		rows.push({
			size,
			snapshotMs: quantile(samples.snapshot, 0.5),
			snapshotBytes,
			resumeMs: quantile(samples.resume, 0.5),
			socketSnapshotMs: quantile(samples.socket, 0.5),
			socketFrames,
			socketResumeMs: quantile(samples.socketResume, 0.5),
			storageBytes: storage.data.bytes,
			rssMiB: groupRssMiB(group),
		});
	}
	const first = rows[0] as Row;
	const body = [
		"## Scale of one stream: snapshot and resume",
		"",
		`Measured ${new Date().toISOString().slice(0, 10)} on ${machine()} by \`npm run bench:scale\`: one stream per size, filled with keyed items of about 70 bytes of JSON; medians of ${REPEATS} repeats. Resume: from ${RESUME_BEHIND} changes behind the head. Socket times run from opening the WebSocket to the frame marked \`"complete": true\`.`,
		"",
		table(
			["items", "GET items (full) ms", "snapshot MB", "GET items?since=head−10 ms", "WS connect → snapshot complete ms", "snapshot frames", "WS resume (since) ms", "object storage MB", "workerd RSS MiB after"],
			rows.map((row) => [
				row.size.toLocaleString("en-US"),
				fmt(row.snapshotMs, 1),
				fmt(row.snapshotBytes / 1e6),
				fmt(row.resumeMs, 1),
				fmt(row.socketSnapshotMs, 1),
				row.socketFrames,
				fmt(row.socketResumeMs, 1),
				fmt(row.storageBytes / 1e6),
				fmt(row.rssMiB, 0),
			]),
		),
		"",
		table(
			["items", "full snapshot ÷ 1k", "resume ÷ 1k", "socket snapshot ÷ 1k"],
			rows.map((row) => [row.size.toLocaleString("en-US"), fmt(row.snapshotMs / first.snapshotMs, 1), fmt(row.resumeMs / first.resumeMs, 1), fmt(row.socketSnapshotMs / first.socketSnapshotMs, 1)]),
		),
		"",
		`Memory: workerd runs the Worker and every Durable Object of this server in one process and exposes no per-object heap figure, so the object's own memory cannot be isolated here; the last column is the resident memory of the server's workerd processes after each size was read (${fmt(baselineRss, 0)} MiB before the first stream was filled; an upper bound that includes SQLite's page cache and every earlier stream). The object keeps no items in memory: they live in its SQLite storage (the storage column, \`ctx.storage.sql.databaseSize\`), and a snapshot is built from SQLite's JSON text without parsing the items.`,
	].join("\n");
	console.log(`\n${body}\n`);
	writeSection("scale", body);
} finally {
	await server.stop();
}
