import { describe, expect, inject, it } from "vitest";
import { writeSection } from "../../bench/lib/results.ts";
import { table } from "../../bench/lib/stats.ts";
import { adminCall, eventually, snapshot, setupStream } from "../node/api.ts";
import { differences, keylessExpectation } from "./reconcile.ts";

interface Fault {
	site: "apply" | "consumer";
	kind: "throw" | "slow" | "abort" | "lost_reply" | "redeliver";
	times: number;
	delay_ms?: number;
}

interface LogEntry {
	request_id: string;
	status: string;
	error: string | null;
}

const REQUESTS = 30;
// The queue's max_retries in wrangler.toml: a message is delivered this many times plus one before it is dead-lettered.
const MAX_RETRIES = 5;
const outcomes: (string | number)[][] = [];

async function post(key: string, items: unknown[], headers: Record<string, string> = {}) {
	const response = await fetch(`${inject("serverUrl")}/api/ingest`, {
		method: "POST",
		headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json", ...headers },
		body: JSON.stringify(items),
	});
	expect(response.status).toBe(202);
	return ((await response.json()) as { data: { request_id: string } }).data.request_id;
}

const arm = (stream: string, fault: Fault) => adminCall<Fault[]>(`/streams/${stream}/faults`, { body: fault }, 201);
const armed = (stream: string) => adminCall<Fault[]>(`/streams/${stream}/faults`);
const logs = (connectorId: string) => adminCall<LogEntry[]>(`/connectors/${connectorId}/logs?limit=200`);

describe("injected faults", () => {
	const scenarios: [string, Fault[]][] = [
		["the stream throws before applying", [{ site: "apply", kind: "throw", times: 3 }]],
		["the stream applies slowly (3 s, twice)", [{ site: "apply", kind: "slow", times: 2, delay_ms: 3_000 }]],
		["the object is reset mid-batch (ctx.abort)", [{ site: "apply", kind: "abort", times: 3 }]],
		["the reply is lost after the batch was applied", [{ site: "apply", kind: "lost_reply", times: 3 }]],
		["the consumer fails after applying, before acking", [{ site: "consumer", kind: "throw", times: 3 }]],
		["an applied batch is delivered again", [{ site: "consumer", kind: "redeliver", times: 3 }]],
		[
			"all of them at once",
			[
				{ site: "apply", kind: "abort", times: 1 },
				{ site: "apply", kind: "lost_reply", times: 1 },
				{ site: "apply", kind: "throw", times: 1 },
				{ site: "consumer", kind: "redeliver", times: 1 },
				{ site: "consumer", kind: "throw", times: 1 },
			],
		],
	];

	for (const [name, faults] of scenarios) {
		it(`${name}: nothing accepted is lost or applied twice`, async () => {
			const target = await setupStream();
			for (const fault of faults) await arm(target.stream, fault);
			const sent = Array.from({ length: REQUESTS }, (_, i) => Array.from({ length: 1 + (i % 4) }, (_, j) => ({ i, j })));
			// A third carry an Idempotency-Key, and the first of those is sent twice.
			const ids = await Promise.all(sent.map((items, i) => post(target.key, items, i % 3 === 0 ? { "Idempotency-Key": `${target.stream}-${i}` } : {})));
			expect(await post(target.key, sent[0] as unknown[], { "Idempotency-Key": `${target.stream}-0` })).toBe(ids[0]);
			const expected = keylessExpectation(ids.map((requestId, i) => ({ requestId, items: sent[i] as Record<string, unknown>[] })));

			const started = performance.now();
			await eventually(async () => expect(differences(expected, (await snapshot(target.stream)).items)).toEqual([]), 120_000);
			const seconds = (performance.now() - started) / 1000;
			// Every strike happened (redeliveries of batches already applied take the last ones), so every fault was in the way.
			await eventually(async () => expect(await armed(target.stream)).toEqual([]), 60_000);
			const entries = await eventually(async () => {
				const all = await logs(target.connectorId);
				expect(all.filter((entry) => entry.status === "processed").map((entry) => entry.request_id).sort()).toEqual([...ids].sort());
				return all;
			}, 30_000);
			// One seq per item, after every redelivery: no request was applied twice.
			expect((await snapshot(target.stream)).seq).toBe(expected.size);
			expect(entries.filter((entry) => entry.status !== "processed" && entry.status !== "duplicate")).toEqual([]);
			outcomes.push([name, faults.reduce((sum, fault) => sum + fault.times, 0), REQUESTS + 1, expected.size, 0, 0, seconds.toFixed(1)]);
		});
	}

	it("a request that fails every delivery ends failed with the error, is dead-lettered, and a replay applies it once", async () => {
		const target = await setupStream();
		await arm(target.stream, { site: "apply", kind: "throw", times: MAX_RETRIES + 1 });
		const items = [{ n: 1 }, { n: 2 }];
		const requestId = await post(target.key, items);
		const failed = await eventually(async () => {
			const [entry] = await logs(target.connectorId);
			expect(entry?.status).toBe("failed");
			return entry;
		}, 60_000);
		expect(failed?.error).toContain("Injected fault: the stream failed before applying.");
		const dead = await eventually(async () => {
			const listed = await adminCall<{ request_id: string; parts: number; parts_dead_lettered: number }[]>(`/dead-letters?connector_id=${target.connectorId}`);
			expect(listed).toHaveLength(1);
			return listed;
		}, 30_000);
		expect(dead[0]).toMatchObject({ request_id: requestId, parts: 1, parts_dead_lettered: 1 });
		expect((await snapshot(target.stream)).items).toEqual([]);

		const replay = await adminCall<{ results: LogEntry[] }>("/dead-letters/replay", { body: { request_ids: [requestId] } });
		expect(replay.results).toEqual([{ request_id: requestId, status: "processed", error: null }]);
		const stored = await snapshot(target.stream);
		expect(differences(keylessExpectation([{ requestId, items }]), stored.items)).toEqual([]);
		expect(stored.seq).toBe(2);
		expect((await logs(target.connectorId))[0]).toMatchObject({ request_id: requestId, status: "processed", error: null });
		// A second replay is refused, not applied.
		expect((await adminCall<{ results: LogEntry[] }>("/dead-letters/replay", { body: { connector_id: target.connectorId } })).results).toEqual([]);
		outcomes.push(["every delivery fails: dead-lettered, then replayed", MAX_RETRIES + 1, 1, 2, 0, 0, "n/a"]);
	});

	it("a request split into several messages is dead-lettered whole and replayed whole", async () => {
		const target = await setupStream();
		await arm(target.stream, { site: "apply", kind: "throw", times: 1000 });
		// About 350 KB: three queue messages.
		const items = Array.from({ length: 3000 }, (_, i) => ({ i, pad: "p".repeat(100) }));
		const requestId = await post(target.key, items);
		const dead = await eventually(async () => {
			const [listed] = await adminCall<{ request_id: string; parts: number; parts_dead_lettered: number }[]>(`/dead-letters?connector_id=${target.connectorId}`);
			expect(listed?.parts).toBeGreaterThan(1);
			expect(listed?.parts_dead_lettered).toBe(listed?.parts);
			return listed;
		}, 120_000);
		expect((await logs(target.connectorId))[0]).toMatchObject({ request_id: requestId, status: "failed" });
		await adminCall(`/streams/${target.stream}/faults`, { method: "DELETE" });

		const replay = await adminCall<{ results: LogEntry[] }>("/dead-letters/replay", { body: { connector_id: target.connectorId } });
		expect(replay.results).toEqual([{ request_id: requestId, status: "processed", error: null }]);
		const stored = await snapshot(target.stream);
		expect(stored.items).toHaveLength(3000);
		expect(stored.seq).toBe(3000);
		outcomes.push([`a ${dead?.parts}-part request dead-lettered, then replayed`, "all", 1, 3000, 0, 0, "n/a"]);

		writeSection(
			"reliability-faults",
			[
				"### Injected faults",
				"",
				`Run ${new Date().toISOString().slice(0, 10)} by \`npm run test:reliability\` (test/reliability/faults.test.ts), on the test Worker (test/fixtures/test-worker.ts) with retries capped at 1 s.`,
				"Each row is a fresh stream: faults armed, then the requests sent at once (a third with an Idempotency-Key, one of them twice). Lost: accepted items missing from the stream; doubled: items applied more than once (the stream's seq counts every write).",
				"",
				table(["fault", "strikes", "requests", "items", "lost", "doubled", "s until all applied"], outcomes),
			].join("\n"),
		);
	});
});
