import type { TestProject } from "vitest/node";
import { TEST_WORKER, startServer } from "../../scripts/dev-server.ts";

declare module "vitest" {
	export interface ProvidedContext {
		serverUrl: string;
		adminToken: string;
		/** The server's process group, to measure workerd's memory. */
		serverPid: number;
	}
}

// The keyless flood puts 250,000 items in each of its streams (flood.test.ts): room for them, so none is removed.
const FLOOD_CAPS = { MAX_ITEMS_PER_STREAM: "250000", MAX_STREAM_BYTES: String(256 * 1024 * 1024) };

/**
 * One `npm start` server for the suite, running the test Worker (faults can be armed)
 * with retries that back off by at most 1 s so that a dead letter takes seconds, not minutes.
 */
export default async function setup(project: TestProject) {
	const server = await startServer({ vars: { QUEUE_RETRY_MAX_DELAY_SECONDS: "1", ...FLOOD_CAPS }, args: [TEST_WORKER] });
	project.provide("serverUrl", server.url);
	project.provide("adminToken", server.adminToken);
	project.provide("serverPid", server.pid);
	return () => server.stop();
}
