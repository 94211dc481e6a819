// The goals of the last run (bench/.last-run/goals.json): printed, and written to the "goals" sections of
// bench/RESULTS.md and the README. `bench/run.ts` ends with it; `node bench/goals.ts` reprints the last run's.
import path from "node:path";
import { GOALS_FILE, readGoals } from "./lib/goals.ts";
import { goalsSection, goalsText } from "./lib/goals-report.ts";
import { machine, writeSection } from "./lib/results.ts";

const README = path.join(import.meta.dirname, "..", "README.md");

/** Prints the goals of run `runId` (any run when undefined) and writes both sections. */
export function reportGoals(runId?: string): void {
	const stored = readGoals();
	if (!stored) console.log(`No goal figures in ${path.relative(process.cwd(), GOALS_FILE)}.`);
	else if (runId === undefined) console.log(`Goals of the run started ${stored.run.startedAt} (${stored.run.command}):\n`);
	console.log(`${goalsText(stored, runId)}\n`);
	writeSection("goals", goalsSection(stored, runId, machine()), { place: { top: true }, always: true });
	// In the README the section sits inside "## Benchmarks and reliability", whose paragraphs go on after it.
	writeSection("goals", goalsSection(stored, runId, machine(), "**Where the goals stand.**"), { file: README, always: true });
}

if (import.meta.main) reportGoals();
