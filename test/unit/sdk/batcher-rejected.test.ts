import { describe, expect, it } from "vitest";
import { BatchError, type BatchFailure, DataPoolIngest, type RejectedItem } from "../../../src/sdk/index.ts";
import { accepted, failed, fakeApi, refusedItems, type SentRequest } from "./fake-api.ts";

// Five attempts allowed: a rejected batch must still go out once.
const client = (fetch: typeof globalThis.fetch) =>
	new DataPoolIngest({ key: "ik_live_test", baseUrl: "https://ingest.example.com", fetch, maxAttempts: 5, backoff: { baseMs: 1, capMs: 1 } });

type Item = { id: number; price?: unknown };
const itemsOf = (request: SentRequest | undefined): Item[] => JSON.parse(request?.body ?? "[]");
const idsOf = (sent: SentRequest[]) => sent.map((r) => itemsOf(r).map((item) => item.id));

async function batchError(promise: Promise<unknown>): Promise<BatchError> {
	const error = await promise.catch((e: unknown) => e);
	if (!(error instanceof BatchError)) throw new Error(`Expected a BatchError, got ${String(error)}`);
	return error;
}

/** The API's refusal of items 0 and 2 of a batch: a wrong type, and a missing field. */
const twoOfThree = () =>
	refusedItems(
		[
			{ index: 0, path: [0, "price"], message: "must be number" },
			{ index: 2, path: [2, "price"], message: 'missing required field "price"' },
			{ index: 2, path: [2, "id"], message: "must be string" },
		],
		"2 of 3 items do not match the stream's schema.",
	);

describe("Batcher: items the API rejects", () => {
	it("maps the details' indexes to the items it sent, does not retry, calls onRejected at once, and close() lists the failure", async () => {
		const api = fakeApi([twoOfThree()]);
		const events: string[] = [];
		const seen: { rejected: readonly RejectedItem[]; failure: BatchFailure }[] = [];
		const batcher = client(api.fetch).createBatcher({
			maxItems: 3,
			flushIntervalMs: 60_000,
			onRejected: (rejected, failure) => {
				events.push(`rejected after ${api.sent.length} request(s)`);
				seen.push({ rejected, failure });
			},
			onError: () => events.push("error"),
			onBatch: (result) => events.push(`accepted ${result.items_received}`),
		});
		for (let id = 1; id <= 6; id++) await batcher.add({ id, price: id === 1 ? "free" : id });
		const error = await batchError(batcher.close());

		expect(idsOf(api.sent)).toEqual([[1, 2, 3], [4, 5, 6]]);
		expect(events).toEqual(["rejected after 1 request(s)", "error", "accepted 3"]);
		const [call] = seen;
		expect(call?.rejected).toEqual([
			{ index: 0, item: { id: 1, price: "free" }, problems: [{ path: ["price"], message: "must be number" }] },
			{
				index: 2,
				item: { id: 3, price: 3 },
				problems: [
					{ path: ["price"], message: 'missing required field "price"' },
					{ path: ["id"], message: "must be string" },
				],
			},
		]);
		expect(call?.failure).toMatchObject({ rejectedTotal: 2, notRejected: [{ id: 2, price: 2 }], items: itemsOf(api.sent[0]) });
		expect(error.failures).toHaveLength(1);
		expect(error.failures[0]).toBe(call?.failure);
		expect(error.failures[0]?.error).toMatchObject({ code: "INVALID_PAYLOAD", status: 400 });
	});

	it("takes items added again from onRejected while close() runs, and close() waits for them", async () => {
		const api = fakeApi([twoOfThree()]);
		const batcher = client(api.fetch).createBatcher({
			maxItems: 3,
			flushIntervalMs: 60_000,
			onRejected: (rejected, failure) => {
				// Fix the one whose type is wrong, drop the other, send the rest again.
				const fixed = rejected.filter((r) => r.index === 0).map((r) => ({ ...r.item, price: 0 }));
				for (const item of [...fixed, ...failure.notRejected]) void batcher.add(item);
			},
		});
		for (let id = 1; id <= 3; id++) await batcher.add({ id, price: id });
		const error = await batchError(batcher.close());
		expect(api.sent.map(itemsOf)).toEqual([
			[
				{ id: 1, price: 1 },
				{ id: 2, price: 2 },
				{ id: 3, price: 3 },
			],
			[
				{ id: 1, price: 0 },
				{ id: 2, price: 2 },
			],
		]);
		// The refused batch failed for good: close() still reports it, once, with what it rejected.
		expect(error.failures.map((f) => f.rejected.map((r) => r.index))).toEqual([[0, 2]]);
		await expect(batcher.add({ id: 9 })).rejects.toMatchObject({ code: "BATCHER_CLOSED" });
	});

	it("marks a list the API cut as partial: rejectedTotal counts every item its message says failed", async () => {
		const details = Array.from({ length: 100 }, (_, index) => ({ index, path: [index, "price"], message: "must be number" }));
		const api = fakeApi([refusedItems(details, "150 of 150 items do not match the stream's schema.")]);
		const batcher = client(api.fetch).createBatcher({ maxItems: 150, flushIntervalMs: 60_000 });
		for (let id = 0; id < 150; id++) await batcher.add({ id, price: "x" });
		const [failure] = (await batchError(batcher.close())).failures;
		expect(failure?.rejected.map((r) => r.index)).toEqual(Array.from({ length: 100 }, (_, i) => i));
		expect(failure?.rejectedTotal).toBe(150);
		expect(failure?.notRejected).toHaveLength(50);
		expect(api.sent).toHaveLength(1);
	});

	it("reads counts with thousands separators, and never counts more than the batch held or fewer than listed", async () => {
		const cases: [string, number][] = [
			["1,200 of 2,000 items lack a valid item key \"id\".", 3],
			["2 of 3 items do not match the stream's schema. The first 100 of 240 problems are listed.", 2],
			["Something else entirely.", 2],
		];
		for (const [message, total] of cases) {
			const api = fakeApi([
				refusedItems(
					[
						{ index: 0, path: [0], message: "bad" },
						{ index: 1, path: [1], message: "bad" },
					],
					message,
				),
			]);
			const batcher = client(api.fetch).createBatcher({ maxItems: 3, flushIntervalMs: 60_000 });
			for (let id = 0; id < 3; id++) await batcher.add({ id });
			const [failure] = (await batchError(batcher.close())).failures;
			expect([message, failure?.rejectedTotal]).toEqual([message, total]);
		}
	});

	it("ignores indexes the batch does not have, and names no item for other failures", async () => {
		const api = fakeApi([
			refusedItems([{ index: 7, path: [7, "price"], message: "not ours" }], "1 of 8 items do not match the stream's schema."),
			failed(400, "INVALID_PAYLOAD"),
			failed(401, "UNAUTHORIZED"),
		]);
		const rejectedCalls: number[] = [];
		const batcher = client(api.fetch).createBatcher({ maxItems: 2, onRejected: (rejected) => rejectedCalls.push(rejected.length) });
		for (let id = 1; id <= 6; id++) await batcher.add({ id });
		const error = await batchError(batcher.close());
		expect(error.failures.map((f) => [f.error.code, f.rejected.length, f.rejectedTotal, f.notRejected.length])).toEqual([
			["INVALID_PAYLOAD", 0, 0, 2],
			["INVALID_PAYLOAD", 0, 0, 2],
			["UNAUTHORIZED", 0, 0, 2],
		]);
		expect(rejectedCalls).toEqual([]);
	});

	it("goes on when onRejected throws: later batches are sent and close() still reports the failure", async () => {
		const api = fakeApi([twoOfThree(), accepted(3)]);
		const batcher = client(api.fetch).createBatcher({
			maxItems: 3,
			onRejected: () => {
				throw new Error("the caller's bug");
			},
		});
		for (let id = 1; id <= 6; id++) await batcher.add({ id });
		const error = await batchError(batcher.close());
		expect(idsOf(api.sent)).toEqual([[1, 2, 3], [4, 5, 6]]);
		expect(error.failures.map((f) => f.rejected.length)).toEqual([2]);
	});
});
