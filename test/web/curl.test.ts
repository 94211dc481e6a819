import { describe, expect, it } from "vitest";
import { curlExample } from "../../src/web/curl";

describe("curlExample", () => {
	it("posts an item carrying the item key to this server, with the fresh key", () => {
		expect(curlExample({ origin: "https://ingest.example", itemKey: "region", key: "ik_live_abc" })).toBe(
			[
				'curl -X POST "https://ingest.example/api/ingest" \\',
				'  -H "Authorization: Bearer ik_live_abc" \\',
				'  -H "Content-Type: application/json" \\',
				`  -d '[{"region":"example-1","value":42}]'`,
			].join("\n"),
		);
	});

	it("reads the key from the shell when there is no fresh one, and quotes item keys safely", () => {
		const command = curlExample({ origin: "http://127.0.0.1:8787", itemKey: "it's", key: null });
		expect(command).toContain('Bearer $INGEST_KEY"');
		expect(command).toContain(`-d '[{"it'\\''s":"example-1","value":42}]'`);
	});
});
