// The goals of issue 15 and the figures each bench measured for them in the current run, kept in
// bench/.last-run/goals.json (gitignored). The file holds one run only: a bench of another run starts it
// afresh, so a figure from an older run is never shown as current.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { quantile } from "./stats.ts";

export const GOALS_FILE = path.join(import.meta.dirname, "..", ".last-run", "goals.json");

/** A goal: the project's figure against its baseline from the same rounds, held to a target. */
export interface Goal {
	id: GoalId;
	title: string;
	/** What is held to the target: the per-round ratio value ÷ baseline, or the value itself. */
	on: "ratio" | "value";
	/** `>=`: the figure must reach the target; `<=`: it must not exceed it. */
	op: ">=" | "<=";
	target: number;
	/** The bench that measures it. */
	command: string;
}

export type GoalId = "ingest-1" | "ingest-100" | "fanout-1000" | "latency-under-load";

export const GOALS: readonly Goal[] = [
	{ id: "ingest-1", title: "1-item ingest: requests/s ÷ the bare floor's", on: "ratio", op: ">=", target: 0.7, command: "bench/ingest-overhead.ts" },
	{ id: "ingest-100", title: "100-item ingest: requests/s ÷ the bare floor's", on: "ratio", op: ">=", target: 0.35, command: "bench/ingest-overhead.ts" },
	{ id: "fanout-1000", title: "fan-out to 1,000 renderers: ms ÷ partyserver's broadcast", on: "ratio", op: "<=", target: 1.0, command: "bench/realtime.ts" },
	{ id: "latency-under-load", title: "ingest → renderer p99 under load: ms", on: "value", op: "<=", target: 50, command: "bench/realtime.ts" },
];

/** What a bench measured for a goal: one value and one baseline per interleaved round. */
export interface Measurement {
	unit: string;
	/** The project's figure, per round. */
	values: number[];
	/** The baseline's figure, per round (the same rounds). */
	baselines: number[];
	valueLabel: string;
	baselineLabel: string;
	/** How it was measured, in a sentence (connections, rounds, load). */
	method: string;
}

/** A measurement with its evaluation, as stored. */
export interface GoalRecord extends Measurement {
	id: GoalId;
	measuredAt: string;
	/** Medians over the rounds. */
	value: number;
	baseline: number;
	/** The median of the per-round ratios value ÷ baseline. */
	ratio: number;
	ratios: number[];
	/** The figure held to the target (the ratio or the value) and its min–max over the rounds. */
	figure: number;
	spread: [number, number];
	target: number;
	op: Goal["op"];
	met: boolean;
}

export interface Run {
	id: string;
	startedAt: string;
	command: string;
}

export interface GoalsFile {
	version: 1;
	run: Run;
	goals: Partial<Record<GoalId, GoalRecord>>;
}

const median = (values: number[]) => quantile(values, 0.5);

/** Whether `figure` meets the goal (a figure that is not a number never does). */
export function meets(goal: Pick<Goal, "op" | "target">, figure: number): boolean {
	if (!Number.isFinite(figure)) return false;
	return goal.op === ">=" ? figure >= goal.target : figure <= goal.target;
}

/** A measurement evaluated against its goal: medians, per-round ratios, the figure, its spread and met. */
export function evaluate(goal: Goal, measurement: Measurement, measuredAt: string): GoalRecord {
	const { values, baselines } = measurement;
	if (values.length !== baselines.length) throw new Error(`${goal.id}: ${values.length} values against ${baselines.length} baselines`);
	const ratios = values.map((value, round) => value / (baselines[round] as number));
	const held = goal.on === "ratio" ? ratios : values;
	const figure = median(held);
	return {
		...measurement,
		id: goal.id,
		measuredAt,
		value: median(values),
		baseline: median(baselines),
		ratio: median(ratios),
		ratios,
		figure,
		spread: held.length === 0 ? [Number.NaN, Number.NaN] : [Math.min(...held), Math.max(...held)],
		target: goal.target,
		op: goal.op,
		met: meets(goal, figure),
	};
}

/**
 * This process's run: the one `bench/run.ts` started (BENCH_RUN_ID, passed to every step), or, for a
 * bench started on its own, a run of its own.
 */
export function currentRun(env: NodeJS.ProcessEnv = process.env): Run {
	if (env.BENCH_RUN_ID) return { id: env.BENCH_RUN_ID, startedAt: env.BENCH_RUN_STARTED ?? "", command: env.BENCH_RUN_COMMAND ?? "" };
	const startedAt = new Date(Date.now() - performance.now()).toISOString();
	const script = path.relative(process.cwd(), process.argv[1] ?? "bench");
	return { id: `${script}@${startedAt}`, startedAt, command: `node ${script}` };
}

/** The stored file, or null when there is none or it cannot be read. */
export function readGoals(file = GOALS_FILE): GoalsFile | null {
	if (!existsSync(file)) return null;
	try {
		const parsed = JSON.parse(readFileSync(file, "utf8")) as GoalsFile;
		return parsed.version === 1 && parsed.run && parsed.goals ? parsed : null;
	} catch {
		return null;
	}
}

/** `stored` with `record` added, or a fresh file when `stored` belongs to another run. */
export function withRecord(stored: GoalsFile | null, run: Run, record: GoalRecord): GoalsFile {
	const base: GoalsFile = stored?.run.id === run.id ? stored : { version: 1, run, goals: {} };
	return { ...base, goals: { ...base.goals, [record.id]: record } };
}

/** Evaluates a measurement, stores it in this run's file and prints it; returns the record. */
export function recordGoal(id: GoalId, measurement: Measurement, file = GOALS_FILE): GoalRecord {
	const goal = GOALS.find((candidate) => candidate.id === id) as Goal;
	const record = evaluate(goal, measurement, new Date().toISOString());
	mkdirSync(path.dirname(file), { recursive: true });
	writeFileSync(file, `${JSON.stringify(withRecord(readGoals(file), currentRun(), record), null, "\t")}\n`);
	console.log(`Goal ${goal.title} ${goal.op} ${goal.target}: ${record.figure.toFixed(2)} (${record.spread.map((n) => n.toFixed(2)).join("–")}), ${record.met ? "met" : "not met"}.`);
	return record;
}

/** Each goal with its record from `run`, or null when that run did not measure it (or the file is of another run). */
export function goalStatus(stored: GoalsFile | null, runId?: string): { goal: Goal; record: GoalRecord | null }[] {
	const current = stored && (runId === undefined || stored.run.id === runId) ? stored : null;
	return GOALS.map((goal) => ({ goal, record: current?.goals[goal.id] ?? null }));
}
