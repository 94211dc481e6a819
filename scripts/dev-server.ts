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
	/** The server's process group (`npm start` and its wrangler and workerd): a crash test kills it whole. */
	pid: number;
	stop(): Promise<void>;
}

export interface ServerOptions {
	vars?: Record<string, string>;
	args?: string[];
	/**
	 * A state directory to use and keep (a restart on the same state, as after a crash);
	 * without it the server gets a fresh one, removed by stop().
	 */
	stateDir?: string;
}

/** The Worker with the test-only parts (fault injection, the benchmark's floor routes), for `args` of startServer. */
export const TEST_WORKER = "test/fixtures/test-worker.ts";

/**
 * Stops a server started `detached` (its own process group: wrangler and workerd with it):
 * SIGTERM, then SIGKILL after 5 s. A server killed from outside (a crash test) has a
 * signalCode and nothing left to stop.
 */
export async function stopGroup(child: ChildProcess): Promise<void> {
	if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
	const exited = new Promise((resolve) => child.once("exit", resolve));
	process.kill(-child.pid, "SIGTERM");
	await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
	if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid, "SIGKILL");
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

/** Starts `node scripts/start.ts` (what `npm start` runs) and resolves once it serves this server's admin API; `args` go to wrangler dev. */
export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
	// The free port is only free until wrangler binds it; another process may win that race, so try again.
	let lastError: unknown;
	for (let attempt = 0; attempt < 3; attempt++) {
		try {
			return await launch(options);
		} catch (error) {
			lastError = error;
		}
	}
	throw lastError;
}

async function launch(options: ServerOptions): Promise<RunningServer> {
	const port = await freePort();
	const adminToken = randomBytes(24).toString("base64url");
	const state = options.stateDir ?? mkdtempSync(path.join(tmpdir(), "datapool-state-"));
	const output: string[] = [];
	const vars = Object.entries(options.vars ?? {}).flatMap(([name, value]) => ["--var", `${name}:${value}`]);
	// `args` first: a script path after `--var a:b` would be read as another --var value.
	const child: ChildProcess = spawn(process.execPath, ["scripts/start.ts", ...(options.args ?? []), ...vars], {
		cwd: path.resolve(import.meta.dirname, ".."),
		env: { ...process.env, PORT: String(port), ADMIN_TOKEN: adminToken, DATAPOOL_PERSIST_DIR: state },
		stdio: ["ignore", "pipe", "pipe"],
		detached: true,
	});
	child.stdout?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
	child.stderr?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
	const url = `http://127.0.0.1:${port}`;
	const stop = async () => {
		await stopGroup(child);
		if (options.stateDir === undefined) rmSync(state, { recursive: true, force: true });
	};
	const deadline = Date.now() + 90_000;
	for (;;) {
		if (child.exitCode !== null) {
			await stop();
			throw new Error(`npm start exited early:\n${output.join("")}`);
		}
		try {
			// Our admin token proves the answer comes from our server, not from whoever else took the port.
			const response = await fetch(`${url}/api/admin/connectors`, { headers: { Authorization: `Bearer ${adminToken}` } });
			if (response.ok && child.pid !== undefined) return { url, adminToken, pid: child.pid, stop };
			if (response.status === 401) throw new Error(`port ${port} is served by another server`);
		} catch (error) {
			if (error instanceof Error && error.message.includes("another server")) {
				await stop();
				throw error;
			}
		}
		if (Date.now() > deadline) {
			await stop();
			throw new Error(`npm start did not become healthy:\n${output.join("")}`);
		}
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
}
