// `npm run openapi`: writes openapi.json at the repo root from the app's own document (GET /api/openapi.json of a real
// `npm start` server: the app is a Worker and its modules load only in workerd). `--check` writes nothing and exits 1
// when the committed file differs from what the app serves now (drift). `--url URL` reads a server already running.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { startServer } from "./dev-server.ts";

export const OPENAPI_FILE = path.resolve(import.meta.dirname, "..", "openapi.json");

/**
 * The document serves the origin it was asked from as its server; the committed copy names a local `npm start`
 * on its default port instead, so it does not depend on which port generated it. Tools override it anyway
 * (Schemathesis' --url, a client's base URL).
 */
const COMMITTED_SERVERS = [
	{
		url: "http://localhost:8787",
		description: "A local `npm start` (PORT 8787). A deployment serves this document, with its own origin, at /api/openapi.json.",
	},
];

/** The document `url` serves, as committed: its servers fixed, pretty-printed with a trailing newline. */
export async function fetchDocumentText(url: string): Promise<string> {
	const response = await fetch(`${url}/api/openapi.json`);
	if (!response.ok) throw new Error(`GET ${url}/api/openapi.json answered ${response.status}`);
	const document = (await response.json()) as Record<string, unknown>;
	return `${JSON.stringify({ ...document, servers: COMMITTED_SERVERS }, null, 2)}\n`;
}

/** Compares `text` with the committed file; returns a message naming the first differing line, or undefined when equal. */
export function driftMessage(text: string): string | undefined {
	let committed: string;
	try {
		committed = readFileSync(OPENAPI_FILE, "utf8");
	} catch {
		return "openapi.json is missing: run `npm run openapi` and commit it.";
	}
	if (committed === text) return undefined;
	const want = text.split("\n");
	const have = committed.split("\n");
	const line = want.findIndex((value, index) => value !== have[index]);
	const at = line === -1 ? have.length : line;
	return [
		"openapi.json differs from the document the app serves (drift): run `npm run openapi` and commit it.",
		`  first difference at line ${at + 1}:`,
		`    committed: ${have[at] ?? "(end of file)"}`,
		`    served:    ${want[at] ?? "(end of file)"}`,
	].join("\n");
}

async function main(): Promise<void> {
	const args = process.argv.slice(2);
	const check = args.includes("--check");
	const urlIndex = args.indexOf("--url");
	const given = urlIndex === -1 ? undefined : args[urlIndex + 1];
	const server = given ? undefined : await startServer();
	let text: string;
	try {
		text = await fetchDocumentText(given ?? server!.url);
	} finally {
		await server?.stop();
	}
	if (check) {
		const message = driftMessage(text);
		if (message) {
			console.error(message);
			process.exit(1);
		}
		console.log("openapi.json is up to date with the app's document.");
		return;
	}
	writeFileSync(OPENAPI_FILE, text);
	console.log(`Wrote ${path.relative(process.cwd(), OPENAPI_FILE) || OPENAPI_FILE}.`);
}

if (import.meta.main) await main();
