// A steady load for the latency-under-load bench: 1-item POSTs sent at evenly spaced times (open loop: each on
// time, whether or not the ones before it have been answered), in a process of its own so that its work does not
// delay the probes' timestamps. autocannon's `-R` is not steady: each connection sends its share of a second's
// requests back to back as soon as the second starts, then waits, so the server sees bursts at full speed.
//
// As a module: startPacedLoad(). As a program: node bench/lib/paced-load.ts <url> <rate> <seconds> [bearer key];
// it prints one JSON line, {sent, ok, failed, rps, lateMs} (lateMs: how far the latest send fell behind its time).
import { type ChildProcess, spawn } from "node:child_process";

export interface PacedLoadResult {
	sent: number;
	ok: number;
	failed: number;
	/** 2xx answers per second of the run. */
	rps: number;
	/** The most any send fell behind its due time, ms: a loader that could not keep its pace says so. */
	lateMs: number;
}

/** Starts the program on `url` (the full POST URL) and resolves with its result once it has run `seconds`. */
export function startPacedLoad(url: string, rate: number, seconds: number, key: string | null): { child: ChildProcess; done: Promise<PacedLoadResult> } {
	const child = spawn(process.execPath, [import.meta.filename, url, String(rate), String(seconds), ...(key ? [key] : [])], { stdio: ["ignore", "pipe", "inherit"] });
	let out = "";
	child.stdout?.on("data", (chunk: Buffer) => {
		out += chunk.toString();
	});
	const done = new Promise<PacedLoadResult>((resolve, reject) => {
		child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out) as PacedLoadResult) : reject(new Error(`paced load exited ${code}`))));
	});
	return { child, done };
}

async function main(url: string, rate: number, seconds: number, key: string | undefined): Promise<PacedLoadResult> {
	const headers: Record<string, string> = { "Content-Type": "application/json", ...(key ? { Authorization: `Bearer ${key}` } : {}) };
	const body = JSON.stringify({ id: "load", region: "North", revenue: 1200 });
	const count = Math.round(rate * seconds);
	const pending: Promise<void>[] = [];
	let ok = 0;
	let failed = 0;
	let lateMs = 0;
	const begin = performance.now();
	for (let i = 0; i < count; i++) {
		const due = begin + (i * 1000) / rate;
		const wait = due - performance.now();
		if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
		lateMs = Math.max(lateMs, performance.now() - due);
		pending.push(
			fetch(url, { method: "POST", headers, body }).then(
				async (response) => {
					await response.arrayBuffer();
					if (response.ok) ok++;
					else failed++;
				},
				() => {
					failed++;
				},
			),
		);
	}
	await Promise.all(pending);
	return { sent: count, ok, failed, rps: ok / seconds, lateMs };
}

if (process.argv[1] === import.meta.filename) {
	const [url, rate, seconds, key] = process.argv.slice(2);
	if (!url || !Number(rate) || !Number(seconds)) {
		console.error("usage: node bench/lib/paced-load.ts <url> <requests/s> <seconds> [bearer key]");
		process.exit(2);
	}
	process.stdout.write(`${JSON.stringify(await main(url, Number(rate), Number(seconds), key))}\n`);
}
