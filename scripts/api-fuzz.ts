// The API fuzzed from its own document (scripts/api-fuzz.sh runs this with Schemathesis installed in .venv-fuzz):
// starts a real `npm start` server, creates a connector and an ingest key through the admin API, checks that the
// committed openapi.json is the document this server serves (drift), then runs Schemathesis over every operation
// with every check, each operation authenticated as its `security` says. Exits non-zero on any failure.
import { spawn } from "node:child_process";
import path from "node:path";
import { startServer } from "./dev-server.ts";
import { driftMessage, fetchDocumentText, OPENAPI_FILE } from "./openapi.ts";

const root = path.resolve(import.meta.dirname, "..");
const st = process.env.SCHEMATHESIS ?? path.join(root, ".venv-fuzz", "bin", "st");
/** Test cases per operation and phase, and the seed: small and fixed, so a run is repeatable and takes ~2 minutes on 2 cores. */
const maxExamples = process.env.FUZZ_MAX_EXAMPLES ?? "50";
const seed = process.env.FUZZ_SEED ?? "14";

async function admin(url: string, token: string, method: string, route: string, body?: unknown): Promise<any> {
	const response = await fetch(`${url}${route}`, {
		method,
		headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	const json = (await response.json()) as { success: boolean; data: unknown };
	if (!response.ok || !json.success) throw new Error(`${method} ${route} answered ${response.status}: ${JSON.stringify(json)}`);
	return json.data;
}

function run(command: string, args: string[], env: Record<string, string>): Promise<number> {
	return new Promise((resolve, reject) => {
		const child = spawn(command, args, { cwd: root, stdio: "inherit", env: { ...process.env, ...env } });
		child.on("error", reject);
		child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
	});
}

function stArgs(url: string): string[] {
	return [
		"--config-file",
		path.join(import.meta.dirname, "api-fuzz", "schemathesis.toml"),
		"run",
		OPENAPI_FILE,
		"--url",
		url,
		"--checks",
		"all",
		"--max-examples",
		maxExamples,
		"--seed",
		seed,
		"--generation-database",
		"none",
		// One worker: Hypothesis parses lambdas' source with ast.parse, which CPython 3.11 can fail on from two
		// threads at once ("AST constructor recursion depth mismatch").
		"--workers",
		"1",
		"--no-color",
	];
}

const server = await startServer();
let status = 1;
try {
	const connector = await admin(server.url, server.adminToken, "POST", "/api/admin/connectors", {
		name: "fuzz",
		stream: "fuzz",
		// No item key: any JSON object is an item (appended), so schema-valid ingest bodies are accepted and applied.
		item_key: null,
	});
	const key = await admin(server.url, server.adminToken, "POST", `/api/admin/connectors/${connector.id}/keys`);
	const drift = driftMessage(await fetchDocumentText(server.url));
	if (drift) {
		console.error(drift);
	} else {
		console.log("openapi.json is up to date with the app's document.");
		const env = {
			DATAPOOL_ADMIN_TOKEN: server.adminToken,
			DATAPOOL_INGEST_KEY: key.key,
			DATAPOOL_CONNECTOR_ID: connector.id,
			DATAPOOL_STREAM: "fuzz",
		};
		// Two passes: Schemathesis feeds ids and names it read from responses into later requests, so a DELETE of a
		// connector, of its key or of its stream (force=true deletes its connectors) would take the script's ingest key
		// away from every ingest operation after it. Those deletes run last, in a pass of their own, with every check too.
		const deletes = "^DELETE /api/admin/(connectors/|streams/\\{stream\\}$)";
		status = 0;
		for (const filter of [["--exclude-name-regex", deletes], ["--include-name-regex", deletes]]) {
			const code = await run(st, [...stArgs(server.url), ...filter], env);
			if (code !== 0) status = code;
		}
	}
} finally {
	await server.stop();
}
process.exit(status);
