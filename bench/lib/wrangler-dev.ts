// A `wrangler dev` of any config (the benchmarks' baseline Workers), on a free port, in a process group of its own
// (so serverProcessGroup/groupCpuMs can read its CPU and stop() can end it whole), on a fresh state directory.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort, stopGroup } from "../../scripts/dev-server.ts";

const ROOT = path.resolve(import.meta.dirname, "..", "..");

export interface WranglerDev {
	url: string;
	stop(): Promise<void>;
}

/**
 * Starts `wrangler dev --config <config>` and resolves once `GET <url>/` answers `expect` (a body marker
 * that proves the answer is this Worker's, not another server's on a port lost in the free-port race).
 */
export async function startWranglerDev(config: string, expect: string): Promise<WranglerDev> {
	let lastError: unknown;
	for (let attempt = 0; attempt < 3; attempt++) {
		try {
			return await launch(config, expect);
		} catch (error) {
			lastError = error;
		}
	}
	throw lastError;
}

async function launch(config: string, expect: string): Promise<WranglerDev> {
	const port = await freePort();
	const state = mkdtempSync(path.join(tmpdir(), "datapool-bench-"));
	const args = ["dev", "--config", config, "--port", String(port), "--ip", "127.0.0.1", "--show-interactive-dev-session=false", "--persist-to", state];
	const output: string[] = [];
	const child: ChildProcess = spawn(path.join(ROOT, "node_modules", ".bin", "wrangler"), args, {
		cwd: ROOT,
		env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
		stdio: ["ignore", "pipe", "pipe"],
		detached: true,
	});
	child.stdout?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
	child.stderr?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
	const url = `http://127.0.0.1:${port}`;
	const stop = async () => {
		await stopGroup(child);
		rmSync(state, { recursive: true, force: true });
	};
	const deadline = Date.now() + 90_000;
	for (;;) {
		if (child.exitCode !== null) {
			await stop();
			throw new Error(`wrangler dev --config ${config} exited early:\n${output.join("")}`);
		}
		try {
			const response = await fetch(`${url}/`);
			const text = await response.text();
			if (text.includes(expect)) return { url, stop };
			await stop();
			throw new Error(`port ${port} is served by another server`);
		} catch (error) {
			if (error instanceof Error && error.message.includes("another server")) throw error;
		}
		if (Date.now() > deadline) {
			await stop();
			throw new Error(`wrangler dev --config ${config} did not answer:\n${output.join("")}`);
		}
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
}
