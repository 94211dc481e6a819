// The SDK's A -> B -> A under load and lost answers: every call and every batch is one operation,
// applied exactly once, and a body sent again is never taken for a replay of an earlier one.
import { DataPoolIngest } from "datapool-ingest/sdk";
import { afterAll, describe, expect, inject, it } from "vitest";
import { writeSection } from "../../bench/lib/results.ts";
import { table } from "../../bench/lib/stats.ts";
import { type Fault, type FaultProxy, startFaultProxy } from "../../sdks/conformance/fault-proxy.ts";
import { eventually, snapshot, setupStream } from "../node/api.ts";
import { differences } from "./reconcile.ts";

// Through ingest(): one call per step of each key, every key's steps in sequence, all keys at once.
const CALL_KEYS = 60;
// Through batchers: each lane is a batcher whose keys all take a step per flush; the lanes run at once.
const LANES = 10;
const KEYS_PER_LANE = 12;
const MAX_ITEMS = 5;
// A and B alternate; odd keys and lanes stop one step short, so both values must end somewhere.
const stepsOf = (index: number) => 5 - (index % 2);
const valueAt = (step: number) => (step % 2 === 0 ? "A" : "B");
// A dropped answer (the server did accept) or an injected 503, among passes: the SDK retries both.
const FAULTS: Fault[] = ["drop", "pass", "pass", "503", "pass", "pass", "pass", "drop", "pass", "pass"];

interface LogEntry {
	status: string;
	idempotency_key: string | null;
}

interface Outcome {
	operations: number;
	items: number;
	proxy: FaultProxy;
	connectorId: string;
	stream: string;
	expected: Map<string, Record<string, unknown>>;
	seconds: number;
}

const rows: (string | number)[][] = [];
const proxies: FaultProxy[] = [];
afterAll(async () => {
	await Promise.all(proxies.map((proxy) => proxy.close()));
});

/** Every log entry of a connector, all pages. */
async function allLogs(connectorId: string): Promise<LogEntry[]> {
	const entries: LogEntry[] = [];
	let cursor: string | null = null;
	do {
		const query = `limit=200${cursor ? `&cursor=${cursor}` : ""}`;
		const response = await fetch(`${inject("serverUrl")}/api/admin/connectors/${connectorId}/logs?${query}`, {
			headers: { Authorization: `Bearer ${inject("adminToken")}` },
		});
		const page = (await response.json()) as { data: LogEntry[]; next_cursor: string | null };
		entries.push(...page.data);
		cursor = page.next_cursor;
	} while (cursor);
	return entries;
}

async function target() {
	// A limit far above the load: a 429 here would be the test's doing, not the SDK's.
	const stream = await setupStream({ item_key: "id", rate_limit: { requests: 1_000_000, period_seconds: 60 } });
	const proxy = await startFaultProxy(inject("serverUrl"), Array.from({ length: 200 }, () => FAULTS).flat());
	proxies.push(proxy);
	const client = new DataPoolIngest({ key: stream.key, baseUrl: proxy.url, maxAttempts: 10, backoff: { baseMs: 10, capMs: 200 } });
	return { ...stream, proxy, client };
}

async function throughCalls(): Promise<Outcome> {
	const { client, proxy, connectorId, stream } = await target();
	const expected = new Map<string, Record<string, unknown>>();
	const started = performance.now();
	let operations = 0;
	await Promise.all(
		Array.from({ length: CALL_KEYS }, async (_, k) => {
			const id = `call-${k}`;
			for (let step = 0; step < stepsOf(k); step++) {
				const item = { id, s: valueAt(step) };
				await client.ingest([item]);
				operations += 1;
				expected.set(id, item);
			}
		}),
	);
	return { operations, items: operations, proxy, connectorId, stream, expected, seconds: (performance.now() - started) / 1000 };
}

async function throughBatchers(): Promise<Outcome> {
	const { client, proxy, connectorId, stream } = await target();
	const expected = new Map<string, Record<string, unknown>>();
	const started = performance.now();
	let operations = 0;
	let items = 0;
	await Promise.all(
		Array.from({ length: LANES }, async (_, lane) => {
			const batcher = client.createBatcher({ itemKey: "id", maxItems: MAX_ITEMS, onBatch: () => (operations += 1) });
			for (let step = 0; step < stepsOf(lane); step++) {
				for (let k = 0; k < KEYS_PER_LANE; k++) {
					const item = { id: `lane-${lane}-${k}`, s: valueAt(step) };
					await batcher.add(item);
					expected.set(item.id, item);
					items += 1;
				}
				// One step per flush, so each key's steps travel in batches sent one after another.
				await batcher.flush();
			}
			await batcher.close();
		}),
	);
	return { operations, items, proxy, connectorId, stream, expected, seconds: (performance.now() - started) / 1000 };
}

/** Checks the stream item by item and the log key by key; returns the table row. */
async function reconcile(path: string, outcome: Outcome): Promise<(string | number)[]> {
	const { proxy, expected } = outcome;
	const forwarded = new Map<string, number>();
	for (const entry of proxy.log) {
		if (entry.forwarded && entry.idempotencyKey) forwarded.set(entry.idempotencyKey, (forwarded.get(entry.idempotencyKey) ?? 0) + 1);
	}
	const requests = [...forwarded.values()].reduce((sum, n) => sum + n, 0);
	const logs = await eventually(async () => {
		const entries = await allLogs(outcome.connectorId);
		expect(entries.filter((entry) => entry.status !== "queued")).toHaveLength(requests);
		return entries;
	}, 60_000);
	const stored = await snapshot(outcome.stream);
	const problems = differences(expected, stored.items);
	expect(problems).toEqual([]);
	// Every item of every operation written once: one seq each.
	expect(stored.seq).toBe(outcome.items);

	// One key per operation: a key shared by two operations would make the second a replay.
	expect(forwarded.size).toBe(outcome.operations);
	expect(proxy.log.every((entry) => entry.idempotencyKey?.startsWith("sdk1_"))).toBe(true);

	const byKey = new Map<string, { processed: number; duplicate: number }>();
	for (const entry of logs) {
		expect(["processed", "duplicate"]).toContain(entry.status);
		const counts = byKey.get(entry.idempotency_key ?? "") ?? { processed: 0, duplicate: 0 };
		if (entry.status === "processed") counts.processed += 1;
		else counts.duplicate += 1;
		byKey.set(entry.idempotency_key ?? "", counts);
	}
	// Each operation processed once; every further request of it (a retry after a lost answer) a duplicate.
	const wrong = [...forwarded].filter(([key, n]) => {
		const counts = byKey.get(key);
		return counts?.processed !== 1 || counts.duplicate !== n - 1;
	});
	expect(wrong).toEqual([]);
	expect(byKey.size).toBe(forwarded.size);

	const faults = (fault: Fault) => proxy.log.filter((entry) => entry.fault === fault).length;
	const count = (status: string) => logs.filter((entry) => entry.status === status).length;
	return [path, expected.size, outcome.operations, outcome.items, proxy.log.length, faults("drop"), faults("503"), count("processed"), count("duplicate"), problems.length, outcome.seconds.toFixed(1)];
}

describe("the SDK's A -> B -> A", () => {
	it("ends every key on its last value and applies every call and batch exactly once, through lost answers and 503s", async () => {
		const [calls, batches] = await Promise.all([throughCalls(), throughBatchers()]);
		rows.push(await reconcile("`ingest()`, one call per step", calls));
		rows.push(await reconcile(`batcher, ${KEYS_PER_LANE} keys per flush in batches of ${MAX_ITEMS}`, batches));

		writeSection(
			"reliability-sdk-aba",
			[
				"### The SDK's A -> B -> A",
				"",
				`Run ${new Date().toISOString().slice(0, 10)} by \`npm run test:reliability\` (test/reliability/sdk-aba.test.ts).`,
				`Each key is set A, B, A, B (, A) in sequence, every key at once, through the SDK and a proxy that drops an accepted request's answer or answers 503 (${FAULTS.filter((f) => f !== "pass").length} in ${FAULTS.length} requests); both paths run at the same time, each on a stream of its own.`,
				"Processed and duplicate are the connector log's counts: one processed per operation, a duplicate per retry the server had already accepted. Wrong: keys whose stored value is not their last.",
				"",
				table(["path", "keys", "operations", "items", "requests", "answers dropped", "503s", "processed", "duplicate", "wrong", "s"], rows),
			].join("\n"),
		);
	});
});
