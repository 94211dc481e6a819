// The benchmarks' goal bookkeeping (bench/lib/goals.ts): how met is decided and that a run never shows another's figures.
import { describe, expect, it } from "vitest";
import { GOALS, type GoalsFile, type Measurement, currentRun, evaluate, goalStatus, meets, withRecord } from "../../bench/lib/goals.ts";
import { goalsSection } from "../../bench/lib/goals-report.ts";
import { withSection } from "../../bench/lib/results.ts";

const goal = (id: string) => GOALS.find((candidate) => candidate.id === id) as (typeof GOALS)[number];
const measurement = (values: number[], baselines: number[]): Measurement => ({
	unit: "requests/s",
	values,
	baselines,
	valueLabel: "ours",
	baselineLabel: "floor",
	method: "test",
});
const run = (id: string) => ({ id, startedAt: "2026-12-01T12:00:00.000Z", command: "npm run bench:goals" });

describe("goal evaluation", () => {
	it("takes each round's ratio, then the median, and holds it to the target", () => {
		// Rounds: 0.5, 0.8, 0.75 → median 0.75; the median of the values over the median of the baselines would be 80/100.
		const record = evaluate(goal("ingest-1"), measurement([50, 80, 90], [100, 100, 120]), "t");
		expect(record.ratios).toEqual([0.5, 0.8, 0.75]);
		expect(record.figure).toBe(0.75);
		expect(record.spread).toEqual([0.5, 0.8]);
		expect(record.met).toBe(true);
		expect(evaluate(goal("ingest-1"), measurement([50, 60, 90], [100, 100, 100]), "t").met).toBe(false);
	});

	it("holds a value goal's median value, not its ratio, to the target", () => {
		const record = evaluate(goal("latency-under-load"), { ...measurement([40, 60, 45], [10, 10, 10]), unit: "ms" }, "t");
		expect(record.figure).toBe(45);
		expect(record.ratio).toBe(4.5);
		expect(record.met).toBe(true);
	});

	it("meets at the target exactly, in either direction, and never with a figure that is not a number", () => {
		expect(meets({ op: ">=", target: 0.7 }, 0.7)).toBe(true);
		expect(meets({ op: "<=", target: 1 }, 1)).toBe(true);
		expect(meets({ op: "<=", target: 1 }, 1.01)).toBe(false);
		expect(meets({ op: "<=", target: 50 }, Number.NaN)).toBe(false);
		expect(evaluate(goal("fanout-1000"), measurement([], []), "t").met).toBe(false);
	});

	it("refuses values and baselines from different numbers of rounds", () => {
		expect(() => evaluate(goal("ingest-100"), measurement([1, 2], [1]), "t")).toThrow();
	});
});

describe("runs", () => {
	const record = evaluate(goal("ingest-1"), measurement([80], [100]), "t");

	it("keeps the goals of the same run and drops another run's", () => {
		const first = withRecord(null, run("a"), record);
		const second = withRecord(first, run("a"), evaluate(goal("ingest-100"), measurement([40], [100]), "t"));
		expect(Object.keys(second.goals).sort()).toEqual(["ingest-1", "ingest-100"]);
		const next = withRecord(second, run("b"), evaluate(goal("fanout-1000"), measurement([1], [2]), "t"));
		expect(next.run.id).toBe("b");
		expect(Object.keys(next.goals)).toEqual(["fanout-1000"]);
	});

	it("shows a goal not measured in the run, and every goal of a file of another run, as not measured", () => {
		const stored: GoalsFile = withRecord(null, run("a"), record);
		expect(goalStatus(stored, "a").map(({ record }) => record !== null)).toEqual([true, false, false, false]);
		expect(goalStatus(stored, "b").every(({ record }) => record === null)).toBe(true);
		expect(goalsSection(stored, "b", "m")).toContain("No run of `npm run bench`");
		const section = goalsSection(stored, "a", "m");
		expect(section).toContain("**0.80 ×** (0.80–0.80)");
		expect(section.match(/\| not measured \|/g)).toHaveLength(3);
	});

	it("ties a bench to the runner's run, or gives one started on its own a run of its own", () => {
		expect(currentRun({ BENCH_RUN_ID: "x", BENCH_RUN_STARTED: "s", BENCH_RUN_COMMAND: "c" })).toEqual({ id: "x", startedAt: "s", command: "c" });
		expect(currentRun({}).id).not.toBe(currentRun({ BENCH_RUN_ID: "x" }).id);
	});
});

describe("sections", () => {
	const results = "# Results\n\nintro\n\n<!-- a:start -->\nA\n<!-- a:end -->\n\n<!-- b:start -->\nB\n<!-- b:end -->\n";

	it("replaces a section in place, dollar signs included", () => {
		expect(withSection(results, "a", "A $1 $&")).toBe(results.replace("\nA\n", () => "\nA $1 $&\n"));
	});

	it("puts a missing section at the top, after another, or at the end", () => {
		expect(withSection(results, "goals", "G", { top: true })).toBe(results.replace("intro\n\n", "intro\n\n<!-- goals:start -->\nG\n<!-- goals:end -->\n\n"));
		expect(withSection(results, "c", "C", { after: "a" })).toBe(results.replace("<!-- a:end -->\n", "<!-- a:end -->\n\n<!-- c:start -->\nC\n<!-- c:end -->\n"));
		expect(withSection(results, "c", "C")).toBe(`${results}\n<!-- c:start -->\nC\n<!-- c:end -->\n`);
	});
});
