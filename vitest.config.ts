import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig(async () => {
	const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
	return {
		test: {
			// The Worker's structured logs are only worth reading when a test fails.
			silent: "passed-only",
			projects: [
				{
					// Unit and integration tests, inside workerd with every binding.
					plugins: [
						cloudflareTest({
							wrangler: { configPath: "./wrangler.toml" },
							// The production Worker with the test-only fault injection and bench routes (never bound in production).
							main: "./test/fixtures/test-worker.ts",
							miniflare: { bindings: { ADMIN_TOKEN: "test-admin-token", TEST_MIGRATIONS: migrations } },
						}),
					],
					test: {
						name: "workers",
						include: ["test/unit/**/*.test.ts", "test/integration/**/*.test.ts"],
						setupFiles: ["./test/setup/apply-migrations.ts"],
						testTimeout: 30_000,
					},
				},
				{
					// Tests from the outside: real clients and a real browser against a real `npm start` server.
					test: {
						name: "node",
						environment: "node",
						include: ["test/node/**/*.test.ts", "test/e2e/**/*.test.ts", "test/web/**/*.test.ts"],
						globalSetup: ["./test/node/global-setup.ts"],
						testTimeout: 60_000,
						hookTimeout: 120_000,
					},
				},
			],
		},
	};
});
