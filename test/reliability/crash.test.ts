import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeSection } from "../../bench/lib/results.ts";
import { type RunningServer, startServer } from "../../scripts/dev-server.ts";
import { eventually } from "../shared/eventually.ts";
import { type LogEntry, ServerApi } from "./server-api.ts";

// `npm start` under a SIGKILL: its queue lives in workerd's memory, so what was accepted but not yet applied
// is lost. This measures how much, and checks that nothing else goes wrong across the crash.

const CONNECTIONS = 16;
/** The kill comes once this many requests were answered 202 (a count, so the load is under way whatever the machine). */
const KILL_AFTER = 400;
/**
 * Bulk requests (100–500 items), so that the queue holds a backlog when the kill comes; every 20th is a
 * multi-part one (~115 KB: two queue messages).
 */
const MULTI_PART_EVERY = 20;
const MULTI_PART_ITEMS = 6_000;
// Six streams: the multi-part requests (r = 19, 39, …) land on the odd ones, and no stream nears MAX_ITEMS_PER_STREAM.
const STREAMS = 6;
const VARS = { QUEUE_RETRY_MAX_DELAY_SECONDS: "1", PARTS_TIMEOUT_SECONDS: "10" };

interface Sent {
	stream: number;
	items: { r: number; j: number }[];
	/** 202: the request id; null: refused or not answered. */
	requestId: string | null;
	status: number | "no answer";
}

const state = mkdtempSync(path.join(tmpdir(), "datapool-crash-"));
const servers: RunningServer[] = [];
afterAll(async () => {
	for (const server of servers) await server.stop();
	rmSync(state, { recursive: true, force: true });
});

function itemsOf(r: number): { r: number; j: number }[] {
	const count = r % MULTI_PART_EVERY === MULTI_PART_EVERY - 1 ? MULTI_PART_ITEMS : 100 * (1 + (r % 5));
	return Array.from({ length: count }, (_, j) => ({ r, j }));
}

/** Whether any process of the group still runs (zombies left to a container's init that does not reap them do not count). */
function groupAlive(pid: number): boolean {
	const rows = execFileSync("ps", ["-eo", "pgid=,stat="], { encoding: "utf8" }).split("\n");
	return rows.some((row) => {
		const [pgid, stat] = row.trim().split(/\s+/);
		return Number(pgid) === pid && !stat?.startsWith("Z");
	});
}

/** Sends requests on CONNECTIONS connections until the server dies under them; SIGKILLs its whole group after KILL_AFTER 202s. */
async function loadUntilKilled(api: ServerApi, keys: string[], pid: number): Promise<{ sent: Sent[]; killedAt: number }> {
	const sent: Sent[] = [];
	let accepted = 0;
	let killedAt = 0;
	await Promise.all(
		Array.from({ length: CONNECTIONS }, async () => {
			for (;;) {
				const r = sent.length;
				const request: Sent = { stream: r % STREAMS, items: itemsOf(r), requestId: null, status: "no answer" };
				sent.push(request);
				try {
					const answer = await api.ingest(keys[request.stream] as string, JSON.stringify(request.items));
					request.status = answer.status;
					request.requestId = answer.status === 202 ? answer.requestId : null;
				} catch {
					// The server is gone: this request may or may not have been queued before it went.
					return;
				}
				if (request.status === 202 && ++accepted === KILL_AFTER) {
					killedAt = performance.now();
					// The whole group at once, as a power cut would: node, wrangler and workerd get no chance to flush anything.
					process.kill(-pid, "SIGKILL");
				}
			}
		}),
	);
	return { sent, killedAt };
}

describe("a crash of npm start under load", () => {
	it("after a SIGKILL mid-load and a restart on the same state, only requests still in the in-memory queue are lost, and no request is doubled or applied in part", async () => {
		const first = await startServer({ stateDir: state, vars: VARS });
		servers.push(first);
		const before = new ServerApi(first.url, first.adminToken);
		const connectors = await Promise.all(Array.from({ length: STREAMS }, () => before.connector("crash")));
		const started = performance.now();
		const { sent, killedAt } = await loadUntilKilled(
			before,
			connectors.map((connector) => connector.key),
			first.pid,
		);
		expect(killedAt, "the load ended before the kill").toBeGreaterThan(0);
		const loadSeconds = (killedAt - started) / 1000;
		await eventually(() => expect(groupAlive(first.pid)).toBe(false), 30_000, 100);
		// Nothing but 202s until the kill.
		expect(sent.filter((request) => request.status !== 202 && request.status !== "no answer")).toEqual([]);

		const restarted = performance.now();
		const second = await startServer({ stateDir: state, vars: VARS });
		servers.push(second);
		const after = new ServerApi(second.url, second.adminToken);
		const restartSeconds = (performance.now() - restarted) / 1000;

		const accepted = sent.filter((request) => request.requestId !== null);
		const byId = new Map(accepted.map((request) => [request.requestId as string, request]));
		// What the stream holds of each request, by the request's index `r` (unanswered requests have no id).
		const read = async () => {
			const held = new Map<number, Map<number, number>>();
			let doubledWrites = 0;
			for (const connector of connectors) {
				const contents = await after.readStream(connector.stream);
				// One seq per write: more seqs than items means some item was written twice.
				doubledWrites += contents.seq - contents.items.length;
				for (const item of contents.items) {
					const { r, j } = item.value as { r: number; j: number };
					const counts = held.get(r) ?? new Map<number, number>();
					counts.set(j, (counts.get(j) ?? 0) + 1);
					held.set(r, counts);
				}
			}
			return { held, doubledWrites };
		};
		const logs = async () => {
			const entries = new Map<string, LogEntry>();
			for (const connector of connectors) for (const entry of await after.logs(connector.id)) entries.set(entry.request_id, entry);
			return entries;
		};

		// Settled: every accepted request the stream applied is logged processed (the log outbox survived the crash with
		// the items), and no request waits for parts any more (the parts timeout is 10 s, less than a restart takes).
		const settled = await eventually(
			async () => {
				const { held, doubledWrites } = await read();
				const entries = await logs();
				const waiting = [...entries.values()].filter((entry) => entry.status === "queued").length;
				const unlogged = accepted.filter((request) => held.has(request.items[0]?.r ?? -1) && entries.get(request.requestId as string)?.status !== "processed");
				expect({ waiting, unlogged: unlogged.length }).toEqual({ waiting: 0, unlogged: 0 });
				return { held, doubledWrites, entries };
			},
			120_000,
			500,
		);
		const { held, doubledWrites, entries } = settled;

		// Nothing doubled.
		expect(doubledWrites).toBe(0);
		const twice = [...held.entries()].filter(([, counts]) => [...counts.values()].some((count) => count > 1)).map(([r]) => r);
		expect(twice).toEqual([]);
		// Nothing applied that was not accepted (202, or sent when the server died and never answered), and every request applied whole.
		const strangers = [...held.keys()].filter((r) => sent[r] === undefined || (sent[r]?.status !== 202 && sent[r]?.status !== "no answer"));
		expect(strangers).toEqual([]);
		const partial = [...held.entries()].filter(([r, counts]) => counts.size !== sent[r]?.items.length).map(([r]) => r);
		expect(partial).toEqual([]);
		// Every log entry names a request, and every processed entry of an accepted request has its items.
		for (const [id, entry] of entries) {
			const request = byId.get(id);
			if (request && entry.status === "processed") expect(held.has(request.items[0]?.r ?? -1), id).toBe(true);
		}

		// The lost: accepted, nothing applied. None of them was logged processed; they were still in the queue.
		const lost = accepted.filter((request) => !held.has(request.items[0]?.r ?? -1));
		expect(lost.filter((request) => entries.get(request.requestId as string)?.status === "processed")).toEqual([]);
		const traceless = lost.filter((request) => !entries.has(request.requestId as string));
		const failed = lost.filter((request) => entries.get(request.requestId as string)?.status === "failed");
		expect(traceless.length + failed.length).toBe(lost.length);

		// The restarted server works on the same state: the same keys are accepted and applied.
		const probe = await after.ingest(connectors[0]?.key as string, JSON.stringify([{ probe: true }]));
		expect(probe.status).toBe(202);
		await eventually(async () => expect((await logs()).get(probe.requestId as string)?.status).toBe("processed"), 60_000, 250);

		const count = (requests: Sent[]) => requests.reduce((sum, request) => sum + request.items.length, 0);
		const unanswered = sent.filter((request) => request.status === "no answer");
		const unansweredApplied = unanswered.filter((request) => held.has(request.items[0]?.r ?? -1));
		const figure = `${lost.length} of ${accepted.length.toLocaleString("en-US")} accepted requests lost (${count(lost).toLocaleString("en-US")} of ${count(accepted).toLocaleString("en-US")} items)`;
		const summary = [
			`${CONNECTIONS} connections sent requests of 100–500 items to ${STREAMS} streams (every ${MULTI_PART_EVERY}th a ${MULTI_PART_ITEMS.toLocaleString("en-US")}-item request of two queue messages); the server's process group was SIGKILLed at the ${KILL_AFTER.toLocaleString("en-US")}th 202, ${loadSeconds.toFixed(1)} s into the load, and restarted on the same state (${restartSeconds.toFixed(1)} s).`,
			"",
			`**${figure}**: ${traceless.length} left no trace in the log (still in the in-memory queue), ${failed.length} ended \`failed\` when the parts timeout expired (one part had reached the stream, the other was lost with the queue). 0 doubled, 0 applied in part, 0 applied that were not accepted; every applied request logged \`processed\` after the restart. ${unanswered.length} requests were in flight at the kill and got no answer; ${unansweredApplied.length} of them had been applied.`,
		].join("\n");
		console.log(summary);
		writeSection(
			"reliability-crash",
			["### Crash of `npm start`", "", `Run ${new Date().toISOString().slice(0, 10)} by \`npm run test:reliability\` (test/reliability/crash.test.ts).`, "", summary].join("\n"),
		);
	});
});
