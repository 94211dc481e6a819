// bench/RESULTS.md holds one section per benchmark script, each rewritten by its own run.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export const RESULTS_FILE = path.join(import.meta.dirname, "..", "RESULTS.md");
const HEADER = `# Benchmark results

Written by the benchmark scripts (\`npm run bench\`, \`npm run bench:realtime\`); every section says
when and on what machine it was measured. Ratios compare figures measured in the same run.
`;

/** A one-line description of this machine and runtime. */
export function machine(): string {
	const cpus = os.cpus();
	const model = cpus[0]?.model.trim() ?? "unknown CPU";
	return `${cpus.length} × ${model}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, ${os.platform()} ${os.release()}, Node ${process.version}, local \`wrangler dev\` (workerd)`;
}

export interface SectionOptions {
	/** Another file with the same markers (the README's goals); it must hold them already. */
	file?: string;
	/** Where a missing section goes: before the first section (`top`), after another section, or at the end. */
	place?: { top: true } | { after: string };
	/**
	 * Written even in a goals-only run (BENCH_GOALS_ONLY=1), which measures only the goals' rows and
	 * must leave the full sections of an earlier run as they are.
	 */
	always?: boolean;
}

/** `current` with the section `name` replaced, or inserted where `place` says when missing. */
export function withSection(current: string, name: string, body: string, place?: SectionOptions["place"]): string {
	const start = `<!-- ${name}:start -->`;
	const end = `<!-- ${name}:end -->`;
	const section = `${start}\n${body.trim()}\n${end}`;
	const pattern = new RegExp(`${start}[\\s\\S]*?${end}`);
	if (pattern.test(current)) return current.replace(pattern, () => section);
	let at = -1;
	if (place && "top" in place) at = current.indexOf("<!-- ");
	else if (place) {
		const marker = `<!-- ${place.after}:end -->`;
		at = current.includes(marker) ? current.indexOf(marker) + marker.length : -1;
	}
	if (at < 0) return `${current.trimEnd()}\n\n${section}\n`;
	return `${current.slice(0, at).trimEnd()}\n\n${section}\n\n${current.slice(at).trimStart()}`.trimEnd() + "\n";
}

/** Replaces (or adds) the section `name` of bench/RESULTS.md (or of `options.file`). */
export function writeSection(name: string, body: string, options: SectionOptions = {}): void {
	const file = options.file ?? RESULTS_FILE;
	const where = path.relative(process.cwd(), file);
	if (process.env.BENCH_GOALS_ONLY === "1" && !options.always) {
		console.log(`Goals-only run: the "${name}" section of ${where} is left as it was.`);
		return;
	}
	if (options.file && !existsSync(file)) throw new Error(`${where} does not exist`);
	const current = existsSync(file) ? readFileSync(file, "utf8") : HEADER;
	if (options.file && !current.includes(`<!-- ${name}:start -->`)) {
		console.log(`${where} has no "${name}" markers: left as it was.`);
		return;
	}
	writeFileSync(file, withSection(current, name, body, options.place));
	console.log(`Wrote the "${name}" section of ${where}.`);
}
