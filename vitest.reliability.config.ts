import { defineConfig } from "vitest/config";

// `npm run test:reliability`: load, injected faults and hostile input against a real `npm start` server.
// Kept out of `npm test` (it takes minutes); see docs/benchmarks.md.
export default defineConfig({
	test: {
		name: "reliability",
		environment: "node",
		include: ["test/reliability/**/*.test.ts"],
		globalSetup: ["./test/reliability/global-setup.ts"],
		// One server, one file at a time: the files measure the server, not each other.
		fileParallelism: false,
		testTimeout: 600_000,
		hookTimeout: 120_000,
	},
});
