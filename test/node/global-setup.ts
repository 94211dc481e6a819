import type { TestProject } from "vitest/node";
import { startServer } from "../../scripts/dev-server.ts";

declare module "vitest" {
	export interface ProvidedContext {
		serverUrl: string;
		adminToken: string;
	}
}

/** One `npm start` server for all Node-side tests; each test makes its own connectors and streams. */
export default async function setup(project: TestProject) {
	const server = await startServer();
	project.provide("serverUrl", server.url);
	project.provide("adminToken", server.adminToken);
	return () => server.stop();
}
