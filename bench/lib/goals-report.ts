// The goals table of a run, for stdout, bench/RESULTS.md and the README.
import { type Goal, type GoalRecord, type GoalsFile, goalStatus } from "./goals.ts";
import { fmt, table } from "./stats.ts";

const digits = (unit: string) => (unit === "ms" ? 1 : 0);
const amount = (value: number, unit: string) => `${fmt(value, digits(unit))} ${unit}`;
const held = (goal: Goal) => (goal.on === "ratio" ? "×" : "ms");

/** One goal's row: the target, the figure with its spread, both sides' medians, the status. */
function row(goal: Goal, record: GoalRecord | null): string[] {
	const target = `${goal.op === ">=" ? "≥" : "≤"} ${goal.on === "ratio" ? `${fmt(goal.target)} ×` : `${goal.target} ms`}`;
	if (!record) return [goal.title, target, "—", "—", "—", "not measured", `\`${goal.command}\``];
	const places = goal.on === "ratio" ? 2 : 1;
	return [
		goal.title,
		target,
		`**${fmt(record.figure, places)} ${held(goal)}** (${fmt(record.spread[0], places)}–${fmt(record.spread[1], places)})`,
		`${record.valueLabel}: ${amount(record.value, record.unit)}`,
		`${record.baselineLabel}: ${amount(record.baseline, record.unit)}${goal.on === "value" ? ` (${fmt(record.ratio)} ×)` : ""}`,
		record.met ? "**met**" : "**not met**",
		`\`${goal.command}\`: ${record.method}`,
	];
}

const COLUMNS = ["goal", "target", "median of the rounds (min–max)", "ours (median)", "baseline, same rounds (median)", "status", "measured by"];

/** The goals as a markdown section: what was run when, the table, and how met is decided. */
export function goalsSection(stored: GoalsFile | null, runId: string | undefined, machine: string, heading = "## Goals (issue 15)"): string {
	const status = goalStatus(stored, runId);
	const run = stored && (runId === undefined || stored.run.id === runId) ? stored.run : null;
	const met = status.filter(({ record }) => record?.met).length;
	const measured = status.filter(({ record }) => record).length;
	return [
		heading,
		"",
		run
			? `Run started ${run.startedAt.replace("T", " ").slice(0, 16)} UTC by \`${run.command}\` on ${machine}: **${met} of ${status.length} goals met**, ${measured} measured in this run.`
			: "No run of `npm run bench` or `npm run bench:goals` has written goal figures here yet.",
		"",
		table(COLUMNS, status.map(({ goal, record }) => row(goal, record))),
		"",
		"Every figure is the median over interleaved rounds of this one run (ours and the baseline one after the other in each round), with the rounds' min–max beside it; a ratio is taken within each round before its median. A goal is met when that median meets its target. A goal not measured in this run says so: figures of older runs are never carried over. docs/benchmarks.md says what each baseline is.",
	].join("\n");
}

/** The same table as plain text lines for the terminal. */
export function goalsText(stored: GoalsFile | null, runId: string | undefined): string {
	const rows = goalStatus(stored, runId).map(({ goal, record }) => row(goal, record).map((cell) => cell.replaceAll("**", "").replaceAll("`", "")));
	const header = COLUMNS.slice(0, 6);
	const cells = [header, ...rows.map((cells) => cells.slice(0, 6))];
	const widths = header.map((_, column) => Math.max(...cells.map((line) => (line[column] ?? "").length)));
	return cells.map((line) => line.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join("  ").trimEnd()).join("\n");
}
