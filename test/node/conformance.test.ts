// The SDK conformance scenarios (sdks/conformance, README.md there is the spec) run by the TypeScript SDK against
// the real `npm start` server, through the shared fault proxy. The Python and Go SDKs run the same files.
import { BatchError, DataPoolError, DataPoolIngest } from "datapool-ingest/sdk";
import { afterEach, describe, expect, inject, it } from "vitest";
import { type FaultProxy, startFaultProxy } from "../../sdks/conformance/fault-proxy.ts";
import { expandItems, type Item, type Items, loadScenarios, type Scenario, type Step } from "../../sdks/conformance/scenario.ts";
import { adminCall, connectorLogs, connectorWithKey, eventually, freshStream, snapshot } from "./api";

const scenarios = loadScenarios();

let proxy: FaultProxy | undefined;
afterEach(async () => {
	await proxy?.close();
	proxy = undefined;
});

interface Context {
	scenario: Scenario;
	stream: string;
	connectorId: string;
	client: DataPoolIngest;
	proxy: FaultProxy;
}

const idOf = (item: object): string => String((item as Item).id);

/** The stream's contents in a form two streams can be compared by (README.md, "Exactly these items"). */
function comparable(itemKey: string | null, values: { key: string; value: unknown }[]): unknown {
	if (itemKey === null) return values.map((entry) => JSON.stringify(entry.value)).sort();
	return Object.fromEntries(values.map((entry) => [entry.key, entry.value]));
}

async function expectStream(context: Context, items: Items): Promise<void> {
	const itemKey = context.scenario.connector.item_key;
	const expected = comparable(
		itemKey,
		expandItems(items).map((item) => ({ key: itemKey === null ? "" : String(item[itemKey]), value: item })),
	);
	const read = async () => comparable(itemKey, (await snapshot(context.stream)).items);
	await eventually(async () => expect(await read()).toEqual(expected), 60_000);
	// Nothing still on its way could change it afterwards: every request the server saw is logged and settled,
	// none failed, and the stream is the same.
	const seen = context.proxy.log.reduce((sum, entry) => sum + entry.forwarded, 0);
	await eventually(async () => {
		const settled = (await connectorLogs(context.connectorId)).filter((entry) => entry.status !== "queued");
		expect(settled.filter((entry) => entry.status === "failed")).toEqual([]);
		expect(settled).toHaveLength(seen);
	}, 60_000);
	expect(await read()).toEqual(expected);
}

async function runIngest(context: Context, step: Extract<Step, { op: "ingest" }>): Promise<void> {
	const items = expandItems(step.items);
	if (step.error) {
		const error = await context.client.ingest(items).then(
			() => undefined,
			(failure: unknown) => failure,
		);
		expect(error).toBeInstanceOf(DataPoolError);
		const failure = error as DataPoolError;
		expect({ status: failure.status, code: failure.code }).toEqual({ status: step.error.status, code: step.error.code });
		expect([...new Set(failure.details.map((detail) => detail.index))].sort()).toEqual([...step.error.detail_indexes].sort());
		return;
	}
	const perCall = step.per_call ?? items.length;
	const slices: Item[][] = [];
	for (let start = 0; start < items.length; start += perCall) slices.push(items.slice(start, start + perCall));
	let next = 0;
	const worker = async () => {
		while (next < slices.length) {
			const slice = slices[next++];
			if (slice) await context.client.ingest(slice);
		}
	};
	await Promise.all(Array.from({ length: Math.min(step.concurrency ?? 1, slices.length) }, worker));
}

async function runBatch(context: Context, step: Extract<Step, { op: "batch" }>): Promise<void> {
	// Only count and bytes cut batches (the spec): a timer could split them differently on a slow machine.
	const batcher = context.client.createBatcher({ maxItems: step.max_items, flushIntervalMs: 3_600_000 });
	for (const item of expandItems(step.items)) await batcher.add(item);
	const closed = await batcher.close().then(
		() => undefined,
		(failure: unknown) => failure,
	);
	if (!step.failed) {
		expect(closed).toBeUndefined();
		return;
	}
	expect(closed).toBeInstanceOf(BatchError);
	const failures = (closed as BatchError).failures;
	for (const failure of failures) expect({ status: failure.error.status, code: failure.error.code }).toEqual({ status: step.failed.status, code: step.failed.code });
	expect(failures.flatMap((failure) => failure.items.map(idOf)).sort()).toEqual([...step.failed.ids].sort());
	const rejected = failures.flatMap((failure) => failure.rejected);
	expect(rejected.map((entry) => idOf(entry.item)).sort()).toEqual([...step.failed.rejected_ids].sort());
	for (const entry of rejected) expect(entry.problems.length).toBeGreaterThan(0);
}

async function runStep(context: Context, step: Step): Promise<void> {
	const itemKey = context.scenario.connector.item_key;
	switch (step.op) {
		case "ingest":
			return runIngest(context, step);
		case "delete":
			if (itemKey === null) throw new Error(`${context.scenario.name}: delete needs the connector's item_key`);
			await context.client.delete(step.keys, { itemKey });
			return;
		case "replace":
			await context.client.replace(expandItems(step.items));
			return;
		case "clear":
			await context.client.clear();
			return;
		case "batch":
			return runBatch(context, step);
		case "expect":
			return expectStream(context, step.items);
	}
}

function checkProxy(scenario: Scenario, used: FaultProxy): void {
	if (scenario.proxy.all_faults_used) expect(used.unusedFaults()).toEqual([]);
	const maxBytes = scenario.proxy.max_body_bytes;
	if (maxBytes !== undefined) expect(Math.max(...used.log.map((entry) => entry.bodyBytes))).toBeLessThanOrEqual(maxBytes);
	const minBatches = scenario.proxy.min_batches;
	if (minBatches !== undefined) expect(new Set(used.log.map((entry) => entry.idempotencyKey)).size).toBeGreaterThanOrEqual(minBatches);
}

describe("SDK conformance scenarios (sdks/conformance)", () => {
	it("finds the scenario files", () => {
		expect(scenarios.map((scenario) => scenario.name)).toEqual(expect.arrayContaining(["a-b-a", "batcher-3mb", "burst", "delete-replace", "schema-rejection"]));
	});

	it("expands generated items as the format says", () => {
		expect(expandItems({ generate: { count: 2, prefix: "p", pad: 3, start: 5 } })).toEqual([
			{ id: "p5", n: 5, pad: "xxx" },
			{ id: "p6", n: 6, pad: "xxx" },
		]);
	});

	for (const scenario of scenarios) {
		it(`${scenario.name}: ${scenario.description}`, { timeout: 180_000 }, async () => {
			const stream = freshStream(`conf-${scenario.name}`).slice(0, 60);
			const connector = await connectorWithKey({
				stream,
				...(scenario.connector.item_key === null ? {} : { item_key: scenario.connector.item_key }),
				rate_limit: { requests: 100_000, period_seconds: 60 },
			});
			if (scenario.schema !== null) await adminCall(`/streams/${stream}`, { method: "PATCH", body: { schema: scenario.schema } });
			proxy = await startFaultProxy(inject("serverUrl"), scenario.faults);
			const client = new DataPoolIngest({
				key: connector.key,
				baseUrl: proxy.url,
				maxAttempts: 12,
				maxElapsedMs: 90_000,
				backoff: { baseMs: 20, capMs: 300 },
			});
			const context: Context = { scenario, stream, connectorId: connector.id, client, proxy };
			for (const step of scenario.steps) await runStep(context, step);
			checkProxy(scenario, proxy);
		});
	}
});
