// `npm run bench` runs every benchmark, `npm run bench:goals` only the rows the goals need; either as one run
// (BENCH_RUN_ID, passed to every step, ties the goal figures to it), then prints the goals and writes them to
// bench/RESULTS.md and the README. A step that fails does not stop the others; the run then exits 1.
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { reportGoals } from "./goals.ts";

interface Step {
	script: string;
	/** Knobs for this step; the caller's environment overrides them. */
	defaults?: Record<string, string>;
	/** Set whatever the environment says: what makes the mode. */
	forced?: Record<string, string>;
}

const GOALS_MODE = process.argv.includes("--goals");
const FULL = { BENCH_GOALS_ONLY: "0" };
/** One table at 10 connections (the goals' level), 5 rounds: the goal rows get an odd number of rounds to take a median of. */
const OVERHEAD = { BENCH_CONNECTIONS: "10", BENCH_SECONDS: "3", BENCH_ROUNDS: "5" };
const STEPS: Step[] = GOALS_MODE
	? [
			{ script: "bench/ingest-overhead.ts", defaults: { ...OVERHEAD, BENCH_SECONDS: "5" }, forced: { BENCH_GOALS_ONLY: "1" } },
			{ script: "bench/realtime.ts", defaults: { BENCH_FANOUT_ROUNDS: "11" }, forced: { BENCH_GOALS_ONLY: "1", BENCH_FANOUT: "1000", BENCH_LATENCY_SAMPLES: "0" } },
		]
	: [
			{ script: "bench/ingest-overhead.ts", defaults: OVERHEAD, forced: FULL },
			{ script: "bench/profile-ingest.ts", forced: FULL },
			{ script: "bench/throughput.ts", forced: FULL },
			{ script: "bench/stream-scale.ts", forced: FULL },
			{ script: "bench/realtime.ts", defaults: { BENCH_FANOUT_ROUNDS: "11" }, forced: FULL },
		];

const ROOT = path.resolve(import.meta.dirname, "..");
const startedAt = new Date().toISOString();
const run = {
	BENCH_RUN_ID: `${startedAt}-${randomUUID().slice(0, 8)}`,
	BENCH_RUN_STARTED: startedAt,
	BENCH_RUN_COMMAND: GOALS_MODE ? "npm run bench:goals" : "npm run bench",
};

function runStep(step: Step): Promise<number> {
	const env = { ...step.defaults, ...process.env, ...step.forced, ...run };
	return new Promise((resolve) => {
		const child = spawn(process.execPath, [step.script], { cwd: ROOT, env, stdio: "inherit" });
		child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
		child.on("error", () => resolve(1));
	});
}

const durations: string[] = [];
let failed = 0;
for (const step of STEPS) {
	console.log(`\n=== ${step.script} ===\n`);
	const start = performance.now();
	const code = await runStep(step);
	const seconds = (performance.now() - start) / 1000;
	durations.push(`${step.script}: ${Math.round(seconds)} s${code === 0 ? "" : ` (exit ${code})`}`);
	if (code !== 0) failed++;
}
console.log(`\n=== goals ===\n`);
reportGoals(run.BENCH_RUN_ID);
console.log(`\nSteps: ${durations.join("; ")}; total ${Math.round(performance.now() / 1000)} s.`);
process.exitCode = failed === 0 ? 0 : 1;
