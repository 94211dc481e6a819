// `npm start`: apply local D1 migrations, then `wrangler dev` on $PORT, and print where to go.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline";

const port = process.env.PORT ?? "8787";
const wrangler = "wrangler";
// Tests and benchmarks run their own server on a state directory of their own.
const persist = process.env.DATAPOOL_PERSIST_DIR ? ["--persist-to", process.env.DATAPOOL_PERSIST_DIR] : [];

/** Creates `.dev.vars` from the example on first run, with a fresh random admin token. */
function ensureDevVars(): void {
	if (existsSync(".dev.vars")) return;
	copyFileSync(".dev.vars.example", ".dev.vars");
	const token = randomBytes(24).toString("base64url");
	const text = readFileSync(".dev.vars", "utf8").replace(/^ADMIN_TOKEN=.*$/m, `ADMIN_TOKEN=${token}`);
	writeFileSync(".dev.vars", text, { mode: 0o600 });
	console.log("Created .dev.vars with a new random ADMIN_TOKEN.");
}

function devVarsToken(): string | undefined {
	const match = /^ADMIN_TOKEN=(.*)$/m.exec(readFileSync(".dev.vars", "utf8"));
	return match?.[1]?.trim().replace(/^"(.*)"$/, "$1");
}

ensureDevVars();
const token = process.env.ADMIN_TOKEN || devVarsToken();
if (!token) {
	console.error("No ADMIN_TOKEN: set it in the environment or in .dev.vars.");
	process.exit(1);
}

const migrate = spawnSync(wrangler, ["d1", "migrations", "apply", "DB", "--local", ...persist], {
	encoding: "utf8",
	env: { ...process.env, CI: "1" },
});
if (migrate.status !== 0) {
	console.error(migrate.stdout, migrate.stderr);
	console.error("Applying the local D1 migrations failed.");
	process.exit(migrate.status ?? 1);
}
console.log("Local D1 migrations applied.");

// Anything after `npm start --` goes to wrangler dev (e.g. `--var PARTS_TIMEOUT_SECONDS:30`, or another entry script),
// first: a script path after `--var a:b` would be read as another --var value.
const args = ["dev", ...process.argv.slice(2), "--port", port, "--ip", "127.0.0.1", "--show-interactive-dev-session=false", ...persist];
// An ADMIN_TOKEN from the environment wins over .dev.vars.
if (process.env.ADMIN_TOKEN) args.push("--var", `ADMIN_TOKEN:${process.env.ADMIN_TOKEN}`);
const child = spawn(wrangler, args, {
	stdio: ["inherit", "pipe", "pipe"],
	env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
});

// Offline, wrangler warns on every start that it cannot fetch Request.cf: harmless, and only noise here.
const noise = /Unable to fetch the `?Request\.cf`? object|getaddrinfo ENOTFOUND workers\.cloudflare\.com|at GetAddrInfoReqWrap/;
for (const [from, to] of [
	[child.stdout, process.stdout],
	[child.stderr, process.stderr],
] as const) {
	createInterface({ input: from }).on("line", (line) => {
		if (!noise.test(line)) to.write(`${line}\n`);
	});
}

async function announceWhenReady(): Promise<void> {
	const base = `http://localhost:${port}`;
	for (let attempt = 0; attempt < 600; attempt++) {
		try {
			const response = await fetch(`http://127.0.0.1:${port}/api/health`);
			if (response.ok) {
				console.log(
					[
						"",
						"DataPool Ingest is running.",
						`  Dashboard:    ${base}/`,
						`  API:          ${base}/api  (health: ${base}/api/health)`,
						`  Admin token:  ${token}`,
						"",
					].join("\n"),
				);
				return;
			}
		} catch {
			// Not listening yet.
		}
		await new Promise((resolve) => setTimeout(resolve, 200));
	}
}
void announceWhenReady();

for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
