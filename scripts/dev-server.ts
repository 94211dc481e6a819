// A real `npm start` server for Node-side tests (SDK, WebSocket clients, browsers): own port, own state, own admin token.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

export interface RunningServer {
	url: string;
	adminToken: string;
	stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.unref();
		server.on("error", reject);
		server.listen(0, "127.0.0.1", () => {
			const address = server.address();
			server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
		});
	});
}

/** Starts `node scripts/start.ts` (what `npm start` runs) and resolves once /api/health answers. */
export async function startServer(options: { vars?: Record<string, string> } = {}): Promise<RunningServer> {
	const port = await freePort();
	const adminToken = randomBytes(24).toString("base64url");
	const state = mkdtempSync(path.join(tmpdir(), "datapool-state-"));
	const output: string[] = [];
	const child: ChildProcess = spawn(process.execPath, ["scripts/start.ts", ...Object.entries(options.vars ?? {}).flatMap(([k, v]) => ["--var", `${k}:${v}`])], {
		cwd: path.resolve(import.meta.dirname, ".."),
		env: { ...process.env, PORT: String(port), ADMIN_TOKEN: adminToken, DATAPOOL_PERSIST_DIR: state },
		stdio: ["ignore", "pipe", "pipe"],
		detached: true,
	});
	child.stdout?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
	child.stderr?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
	const url = `http://127.0.0.1:${port}`;
	const deadline = Date.now() + 90_000;
	for (;;) {
		if (child.exitCode !== null) throw new Error(`npm start exited early:\n${output.join("")}`);
		try {
			const response = await fetch(`${url}/api/health`);
			if (response.ok) break;
		} catch {
			// Not up yet.
		}
		if (Date.now() > deadline) throw new Error(`npm start did not become healthy:\n${output.join("")}`);
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
	return {
		url,
		adminToken,
		async stop() {
			if (child.exitCode === null && child.pid !== undefined) {
				const exited = new Promise((resolve) => child.once("exit", resolve));
				process.kill(-child.pid, "SIGTERM");
				await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
				if (child.exitCode === null) process.kill(-child.pid, "SIGKILL");
			}
			rmSync(state, { recursive: true, force: true });
		},
	};
}
