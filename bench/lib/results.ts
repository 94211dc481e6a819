// bench/RESULTS.md holds one section per benchmark script, each rewritten by its own run.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const FILE = path.join(import.meta.dirname, "..", "RESULTS.md");
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

/** Replaces (or appends) the section `name` of bench/RESULTS.md. */
export function writeSection(name: string, body: string): void {
	const start = `<!-- ${name}:start -->`;
	const end = `<!-- ${name}:end -->`;
	const section = `${start}\n${body.trim()}\n${end}`;
	const current = existsSync(FILE) ? readFileSync(FILE, "utf8") : HEADER;
	const pattern = new RegExp(`${start}[\\s\\S]*?${end}`);
	const next = pattern.test(current) ? current.replace(pattern, section) : `${current.trimEnd()}\n\n${section}\n`;
	writeFileSync(FILE, next);
	console.log(`Wrote the "${name}" section of ${path.relative(process.cwd(), FILE)}.`);
}
