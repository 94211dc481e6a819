import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, inject, it } from "vitest";
import { connectorWithKey, eventually, freshStream, snapshot } from "./api";

const root = path.resolve(import.meta.dirname, "../..");

describe("examples/quick-start.ts, the SDK example of docs/sdk.md", () => {
	it("is the example docs/sdk.md shows, word for word", () => {
		const docs = readFileSync(path.join(root, "docs/sdk.md"), "utf8");
		const shown = /```ts\n([\s\S]*?)```/.exec(docs)?.[1];
		expect(shown).toBe(readFileSync(path.join(root, "examples/quick-start.ts"), "utf8"));
	});

	it("runs against the real server and delivers its items", async () => {
		const connector = await connectorWithKey({ stream: freshStream("quick") });
		const { stdout } = await promisify(execFile)(process.execPath, ["examples/quick-start.ts"], {
			cwd: root,
			env: { ...process.env, DATAPOOL_URL: inject("serverUrl"), DATAPOOL_INGEST_KEY: connector.key },
		});
		expect(stdout).toContain("items_received: 2");
		expect(stdout).toContain("500 items accepted");
		const stream = await eventually(async () => {
			const snap = await snapshot(connector.stream);
			expect(snap.items).toHaveLength(1202);
			return snap;
		});
		expect(stream.items.find((item) => item.key === "store-1200")?.value).toEqual({ region: "store-1200", revenue: 12_000 });
	});
});
