import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { parse } from "csv-parse/sync";
import { describe, expect, inject, it } from "vitest";
import { connectorLogs, connectorWithKey, eventually, freshStream, snapshot } from "./api";

const root = path.resolve(import.meta.dirname, "../..");
const sample = path.join(root, "examples/sample-sales.csv");

/** Runs the example as its usage line says, with the Node that runs the tests (the project's Node 24). */
function pushCsv(args: string[]) {
	return promisify(execFile)(process.execPath, ["examples/push-csv.ts", ...args], { cwd: root });
}

describe("examples/push-csv.ts", () => {
	it("pushes every row of the sample CSV into the stream, and a re-run applies nothing twice", async () => {
		const connector = await connectorWithKey({ stream: freshStream("csv") });
		const rows: Record<string, string>[] = parse(readFileSync(sample), { columns: true, bom: true });
		expect(rows.length).toBeGreaterThan(20);
		const args = [sample, "--url", inject("serverUrl"), "--key", connector.key, "--item-key", "order_id", "--max-items", "10"];

		const first = await pushCsv(args);
		expect(first.stderr).toContain(`${rows.length}/${rows.length} rows accepted`);
		const stream = await eventually(async () => {
			const snap = await snapshot(connector.stream);
			expect(snap.items).toHaveLength(rows.length);
			return snap;
		});
		expect(new Map(stream.items.map((item) => [item.key, item.value]))).toEqual(new Map(rows.map((row) => [row.order_id, row])));

		const again = await pushCsv(args);
		expect(again.stderr).toContain(`(${rows.length} already there)`);
		// Three batches of at most ten rows, each processed once and then answered as a duplicate.
		await eventually(async () => {
			const statuses = (await connectorLogs(connector.id)).map((entry) => entry.status).sort();
			expect(statuses).toEqual(["duplicate", "duplicate", "duplicate", "processed", "processed", "processed"]);
		});
		expect((await snapshot(connector.stream)).seq).toBe(stream.seq);
	});

	it("prints its usage and exits 2 without a key", async () => {
		const failure = await pushCsv([sample, "--url", inject("serverUrl")]).catch((error: unknown) => error);
		expect(failure).toMatchObject({ code: 2, stderr: expect.stringContaining("usage:") });
	});
});
