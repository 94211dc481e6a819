import { describe, expect, inject, it } from "vitest";
import { writeSection } from "../../bench/lib/results.ts";
import { adminCall, eventually, snapshot, setupStream } from "../node/api.ts";
import { type Accepted, differences, keyedExpectation, keylessExpectation } from "./reconcile.ts";

const REQUESTS = Number(process.env.RELIABILITY_REQUESTS ?? 20_000);
const CONNECTIONS = Number(process.env.RELIABILITY_CONNECTIONS ?? 16);
const KEY_POOL = 400;

type Kind = "keyless" | "keyed" | "idempotent";

interface Planned {
	kind: Kind;
	index: number;
	items: Record<string, unknown>[];
	idempotencyKey?: string;
	/** Sent twice at once: both answers must name the same request. */
	twin?: boolean;
}

/** The load: 40% keyless, 40% keyed over a pool of keys (so keys are rewritten), 20% with an Idempotency-Key, some sent twice at once. */
function plan(runId: string): Planned[] {
	const planned: Planned[] = [];
	for (let index = 0; planned.length < REQUESTS; index++) {
		const size = 1 + (index % 5);
		const slot = index % 10;
		if (slot < 4) planned.push({ kind: "keyless", index, items: Array.from({ length: size }, (_, j) => ({ n: index, j })) });
		else if (slot < 8) {
			const items = Array.from({ length: size }, (_, j) => ({ id: `k${(index * 31 + j * 7) % KEY_POOL}`, n: index, j }));
			planned.push({ kind: "keyed", index, items });
		} else {
			const twin = index % 25 === 9 && planned.length + 2 <= REQUESTS;
			const request = { kind: "idempotent" as const, index, items: Array.from({ length: size }, (_, j) => ({ n: index, j })), idempotencyKey: `${runId}-${index}` };
			planned.push(twin ? { ...request, twin } : request);
			if (twin) planned.push({ ...request, twin });
		}
	}
	return planned;
}

interface Answer {
	planned: Planned;
	status: number;
	requestId: string | null;
	replayed: boolean;
}

async function countLogs(connectorId: string, status: string): Promise<number> {
	let total = 0;
	let cursor: string | null = null;
	do {
		const query = `status=${status}&limit=200${cursor ? `&cursor=${cursor}` : ""}`;
		const response = await fetch(`${inject("serverUrl")}/api/admin/connectors/${connectorId}/logs?${query}`, {
			headers: { Authorization: `Bearer ${inject("adminToken")}` },
		});
		const page = (await response.json()) as { data: unknown[]; next_cursor: string | null };
		total += page.data.length;
		cursor = page.next_cursor;
	} while (cursor);
	return total;
}

describe("load", () => {
	it(`accepts ${REQUESTS.toLocaleString("en-US")} mixed requests on ${CONNECTIONS} connections with no 5xx, and every accepted item is stored once`, async () => {
		const url = inject("serverUrl");
		const rate_limit = { requests: 1_000_000, period_seconds: 1 };
		const streams: Record<Kind, Awaited<ReturnType<typeof setupStream>>> = {
			keyless: await setupStream({ rate_limit }),
			keyed: await setupStream({ item_key: "id", rate_limit }),
			idempotent: await setupStream({ rate_limit }),
		};
		const planned = plan(crypto.randomUUID().slice(0, 8));
		const answers: Answer[] = [];
		let next = 0;
		const started = performance.now();
		const send = async (request: Planned): Promise<Answer> => {
			const headers: Record<string, string> = { Authorization: `Bearer ${streams[request.kind].key}`, "Content-Type": "application/json" };
			if (request.idempotencyKey) headers["Idempotency-Key"] = request.idempotencyKey;
			const response = await fetch(`${url}/api/ingest`, { method: "POST", headers, body: JSON.stringify(request.items) });
			const body = (await response.json()) as { data?: { request_id?: string } };
			return { planned: request, status: response.status, requestId: body.data?.request_id ?? null, replayed: response.headers.get("Idempotent-Replayed") === "true" };
		};
		await Promise.all(
			Array.from({ length: CONNECTIONS }, async () => {
				while (next < planned.length) {
					const request = planned[next++] as Planned;
					if (request.twin) {
						// Its twin is the next entry: both go out at once.
						const twin = planned[next++] as Planned;
						answers.push(...(await Promise.all([send(request), send(twin)])));
					} else answers.push(await send(request));
				}
			}),
		);
		const loadSeconds = (performance.now() - started) / 1000;

		expect(answers).toHaveLength(REQUESTS);
		const statuses = new Map<number, number>();
		for (const answer of answers) statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
		expect(Object.fromEntries(statuses)).toEqual({ 202: REQUESTS });

		// Twins name the same request, and exactly one of each pair says it was a replay.
		const byKey = new Map<string, Answer[]>();
		for (const answer of answers.filter((a) => a.planned.twin)) byKey.set(answer.planned.idempotencyKey ?? "", [...(byKey.get(answer.planned.idempotencyKey ?? "") ?? []), answer]);
		for (const pair of byKey.values()) {
			expect(pair).toHaveLength(2);
			expect(pair[0]?.requestId).toBe(pair[1]?.requestId);
			expect(pair.filter((answer) => answer.replayed)).toHaveLength(1);
		}

		const accepted = (kind: Kind): Accepted[] => {
			const unique = new Map<string, Accepted>();
			for (const answer of answers) {
				if (answer.planned.kind === kind && answer.requestId) unique.set(answer.requestId, { requestId: answer.requestId, items: answer.planned.items });
			}
			return [...unique.values()];
		};
		const expected = {
			keyless: keylessExpectation(accepted("keyless")),
			keyed: keyedExpectation(accepted("keyed"), "id"),
			idempotent: keylessExpectation(accepted("idempotent")),
		};

		const drainStart = performance.now();
		const final = await eventually(async () => {
			const read = {
				keyless: await snapshot(streams.keyless.stream),
				keyed: await snapshot(streams.keyed.stream),
				idempotent: await snapshot(streams.idempotent.stream),
			};
			for (const kind of ["keyless", "keyed", "idempotent"] as const) expect(differences(expected[kind], read[kind].items)).toEqual([]);
			return read;
		}, 300_000);
		const drainSeconds = (performance.now() - drainStart) / 1000;

		// Not doubled: keyless keys are unique per request and item, so every write took exactly one seq.
		expect(final.keyless.seq).toBe(expected.keyless.size);
		expect(final.idempotent.seq).toBe(expected.idempotent.size);
		// Every accepted request ended processed, and only once.
		for (const kind of ["keyless", "keyed", "idempotent"] as const) {
			expect(await countLogs(streams[kind].connectorId, "processed")).toBe(accepted(kind).length);
			expect(await countLogs(streams[kind].connectorId, "failed")).toBe(0);
			expect(await countLogs(streams[kind].connectorId, "queued")).toBe(0);
		}
		expect(await adminCall<unknown[]>(`/dead-letters?connector_id=${streams.keyed.connectorId}`)).toEqual([]);

		const items = answers.reduce((sum, answer) => sum + answer.planned.items.length, 0);
		const twins = byKey.size;
		const summary = `${REQUESTS.toLocaleString("en-US")} requests (${items.toLocaleString("en-US")} items) on ${CONNECTIONS} connections in ${loadSeconds.toFixed(1)} s: ${REQUESTS.toLocaleString("en-US")} × 202, 0 × 5xx; 0 lost, 0 doubled. Keyless ${accepted("keyless").length.toLocaleString("en-US")}, keyed ${accepted("keyed").length.toLocaleString("en-US")} (over ${KEY_POOL} keys, last writer wins checked key by key), with an Idempotency-Key ${accepted("idempotent").length.toLocaleString("en-US")} (of which ${twins} sent twice at once: one request each). The consumer had applied everything ${drainSeconds.toFixed(1)} s after the last 202.`;
		console.log(summary);
		writeSection(
			"reliability-load",
			["### Load", "", `Run ${new Date().toISOString().slice(0, 10)} by \`npm run test:reliability\` (test/reliability/load.test.ts).`, "", summary].join("\n"),
		);
	});
});
