import { randomBytes } from "node:crypto";
import { describe, expect, inject, it } from "vitest";
import { writeSection } from "../../bench/lib/results.ts";
import { eventually } from "../shared/eventually.ts";
import { valueDifferences } from "./reconcile.ts";
import { type LogEntry, ServerApi, peakSampler, workerdRssMb } from "./server-api.ts";

// The documented body limit (src/edge/ingest/body-reader.ts): every flood request stays inside it.
const MAX_BODY_BYTES = 1_048_576;
const REQUESTS = 100;
const FINAL = new Set(["processed", "failed", "rejected", "duplicate"]);

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const api = () => new ServerApi(inject("serverUrl"), inject("adminToken"));

interface Flood {
	name: string;
	section: string;
	/** Each stream's connector; request r goes to stream r % streams. */
	streams: number;
	itemKey?: string;
	/** Request r's items; each item names its request (`r`) and place (`j`). */
	items(r: number): Record<string, unknown>[];
}

const identify = (value: Record<string, unknown>) => `${String(value.r)}:${String(value.j)}`;

/** Waits until every request has a final log entry; returns them all, by request id. */
async function settle(connectorIds: string[], requestIds: string[]): Promise<Map<string, LogEntry[]>> {
	return eventually(
		async () => {
			const byRequest = new Map<string, LogEntry[]>();
			for (const id of connectorIds) {
				for (const entry of await api().logs(id)) byRequest.set(entry.request_id, [...(byRequest.get(entry.request_id) ?? []), entry]);
			}
			const open = requestIds.filter((id) => !byRequest.get(id)?.some((entry) => FINAL.has(entry.status)));
			const states = open.map((id) => byRequest.get(id)?.[0]?.status ?? "no log entry");
			const tally = Object.fromEntries([...new Set(states)].map((state) => [state, states.filter((s) => s === state).length]));
			expect(open.length, `${open.length} of ${requestIds.length} requests not decided yet: ${JSON.stringify(tally)}`).toBe(0);
			return byRequest;
		},
		300_000,
		500,
	);
}

async function flood(spec: Flood) {
	const server = api();
	const connectors = await Promise.all(range(spec.streams).map(() => server.connector("flood", spec.itemKey)));
	const sent = range(REQUESTS).map((r) => spec.items(r));
	const bodies = sent.map((items) => JSON.stringify(items));
	for (const body of bodies) expect(body.length).toBeLessThanOrEqual(MAX_BODY_BYTES);
	const items = sent.reduce((sum, list) => sum + list.length, 0);
	const megabytes = bodies.reduce((sum, body) => sum + body.length, 0) / 1e6;

	const memory = peakSampler(() => workerdRssMb(inject("serverPid")));
	const started = performance.now();
	// All at once: a hundred requests in flight together, as the issue measured.
	const answers = await Promise.all(bodies.map((body, r) => server.ingest((connectors[r % spec.streams] as { key: string }).key, body)));
	const acceptedAt = performance.now();
	expect(answers.map((answer) => answer.status)).toEqual(range(REQUESTS).map(() => 202));
	const requestIds = answers.map((answer) => answer.requestId as string);

	const logs = await settle(
		connectors.map((connector) => connector.id),
		requestIds,
	);
	const appliedAt = performance.now();
	const peakMb = memory.stop();
	const statuses = requestIds.map((id) => (logs.get(id) ?? []).map((entry) => entry.status).join("+"));
	const tally = Object.fromEntries([...new Set(statuses)].map((status) => [status, statuses.filter((s) => s === status).length]));
	const errors = [...new Set(requestIds.flatMap((id) => (logs.get(id) ?? []).flatMap((entry) => (entry.error ? [entry.error.slice(0, 160)] : []))))];
	console.log(`${spec.name}: log entries ${JSON.stringify(tally)}${errors.length ? `; errors: ${errors.slice(0, 3).join(" | ")}` : ""}`);
	// Every request processed, and logged once.
	expect(tally).toEqual({ processed: REQUESTS });

	// Item by item, stream by stream: each request's items are in its stream exactly once, as sent.
	const totals = { lost: 0, doubled: 0, unknown: 0, altered: 0 };
	for (const [s, connector] of connectors.entries()) {
		const expected = new Map<string, Record<string, unknown>>();
		for (const r of range(REQUESTS).filter((r) => r % spec.streams === s)) for (const item of sent[r] ?? []) expected.set(identify(item), item);
		const contents = await server.readStream(connector.stream);
		const found = valueDifferences(expected, contents.items, identify);
		expect(found, connector.stream).toEqual({ lost: 0, doubled: 0, unknown: 0, altered: 0, examples: [] });
		// Every write takes a seq: one per item means none was written twice.
		expect(contents.seq).toBe(expected.size);
		for (const name of ["lost", "doubled", "unknown", "altered"] as const) totals[name] += found[name];
	}
	for (const connector of connectors) expect(await server.deadLetters(connector.id)).toEqual([]);

	const acceptSeconds = (acceptedAt - started) / 1000;
	const applySeconds = (appliedAt - acceptedAt) / 1000;
	const rate = Math.round(items / ((appliedAt - started) / 1000));
	const row = [
		spec.name,
		`${REQUESTS} at once, ${spec.streams} streams`,
		items.toLocaleString("en-US"),
		megabytes.toFixed(1),
		acceptSeconds.toFixed(1),
		applySeconds.toFixed(1),
		rate.toLocaleString("en-US"),
		peakMb === null ? "n/a" : String(peakMb),
		"0 / 0 / 0",
	];
	console.log(row.join(" | "));
	writeSection(
		spec.section,
		[
			`### Flood: ${spec.name}`,
			"",
			`Run ${new Date().toISOString().slice(0, 10)} by \`npm run test:reliability\` (test/reliability/flood.test.ts). All ${REQUESTS} requests are sent at once and answered 202; then every request's log entry is checked (processed, once) and every stream is read back page by page and reconciled item by item.`,
			"",
			"| flood | requests | items | MB sent | s until all 202 | s from the last 202 until all applied | items/s, first send to all applied | workerd peak RSS (MB) | lost / failed / doubled |",
			"| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
			`| ${row.join(" | ")} |`,
		].join("\n"),
	);
}

describe("floods of large valid requests", () => {
	it("100 concurrent requests of 10,000 keyless items each are all applied, item by item", async () => {
		// 25 requests per stream, so one queue delivery can hold 250,000 items of one stream: spread thinner, every delivery
		// stayed small enough and this passed before deliveries were split into bounded transactions. 250,000 items is past
		// the default MAX_ITEMS_PER_STREAM, which the suite's server raises (global-setup.ts) so that no item is removed.
		await flood({ name: "keyless, 10,000 items per request", section: "reliability-flood-keyless", streams: 4, items: (r) => range(10_000).map((j) => ({ r, j })) });
	});

	it("100 concurrent ~1 MB keyed requests are all applied, key by key", async () => {
		// ~1 KB items with distinct keys, 5 requests per stream: about 5 MB and 5,000 items per stream.
		await flood({
			name: "keyed, 1,000 items of ~1 KB per request",
			section: "reliability-flood-keyed",
			streams: 20,
			itemKey: "id",
			items: (r) => range(1_000).map((j) => ({ id: `r${r}-${j}`, r, j, pad: randomBytes(711).toString("base64url") })),
		});
	});
});
