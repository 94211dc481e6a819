import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig(async () => {
	const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
	return {
		plugins: [
			cloudflareTest({
				wrangler: { configPath: "./wrangler.toml" },
				miniflare: {
					bindings: { ADMIN_TOKEN: "test-admin-token", TEST_MIGRATIONS: migrations },
				},
			}),
		],
		test: {
			include: ["test/**/*.test.ts"],
			exclude: ["test/e2e/**", "test/reliability/**"],
			setupFiles: ["./test/setup/apply-migrations.ts"],
			testTimeout: 30_000,
			// The Worker's structured logs are only worth reading when a test fails.
			silent: "passed-only",
		},
	};
});
