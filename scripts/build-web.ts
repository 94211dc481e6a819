// Bundles the dashboard (src/web) and the renderers' client (src/client) into public/, the Worker's static assets.
// Offline: everything, charts included, is bundled.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";

const root = path.resolve(import.meta.dirname, "..");
const outdir = path.join(root, "public");

/**
 * Writes a file only when its content changed, through a rename: `wrangler dev` and
 * the test runner may serve public/ while another process rebuilds it, and must
 * never read a half-written file.
 */
function writeIfChanged(file: string, contents: Uint8Array): void {
	try {
		if (Buffer.compare(readFileSync(file), contents) === 0) return;
	} catch {
		// Not built yet.
	}
	mkdirSync(path.dirname(file), { recursive: true });
	const temporary = `${file}.${process.pid}.tmp`;
	writeFileSync(temporary, contents);
	renameSync(temporary, file);
}

const result = await build({
	absWorkingDir: root,
	entryPoints: { app: "src/web/main.tsx" },
	outdir: path.join(outdir, "assets"),
	bundle: true,
	format: "esm",
	target: "es2022",
	platform: "browser",
	jsx: "automatic",
	jsxImportSource: "preact",
	minify: true,
	sourcemap: "linked",
	legalComments: "linked",
	write: false,
	logLevel: "warning",
});
// The renderers' browser client, as an ES module any page can import from the Worker.
const client = await build({
	absWorkingDir: root,
	entryPoints: { "stream-client": "src/client/stream-client.ts" },
	outdir: path.join(outdir, "client"),
	bundle: true,
	format: "esm",
	target: "es2022",
	platform: "browser",
	minify: true,
	sourcemap: "linked",
	legalComments: "linked",
	write: false,
	logLevel: "warning",
});
for (const file of [...result.outputFiles, ...client.outputFiles]) writeIfChanged(file.path, file.contents);
writeIfChanged(path.join(outdir, "index.html"), readFileSync(path.join(root, "src/web/index.html")));
console.log(`Dashboard built into ${path.relative(process.cwd(), outdir) || "."}/`);
