import { describe, expect, it } from "vitest";
import { DataPoolError, type DataPoolErrorDetail, DataPoolIngest } from "../../../src/sdk/index.ts";
import { fakeApi, refusedItems } from "./fake-api.ts";

const client = (fetch: typeof globalThis.fetch) =>
	new DataPoolIngest({ key: "ik_live_test", baseUrl: "https://ingest.example.com", fetch, maxAttempts: 5, backoff: { baseMs: 1, capMs: 1 } });

/** The DataPoolError an ingest answered with `response` rejects with. */
async function errorOf(response: Response): Promise<DataPoolError> {
	const error: unknown = await client(fakeApi([response]).fetch)
		.ingest([{ id: 1 }])
		.catch((e: unknown) => e);
	if (!(error instanceof DataPoolError)) throw new Error(`Expected a DataPoolError, got ${String(error)}`);
	return error;
}

describe("DataPoolError.details", () => {
	it("carries the API's details typed: index, path and message of each item problem, and details without an index", async () => {
		const error = await errorOf(
			refusedItems(
				[
					{ index: 0, path: [0, "price"], message: "must be number" },
					{ index: 2, path: [2, "id"], message: 'missing required field "id"' },
					{ path: ["body"], message: "something about the whole body" },
				],
				"2 of 3 items do not match the stream's schema.",
			),
		);
		const details: DataPoolErrorDetail[] = error.details;
		expect(details).toEqual([
			{ index: 0, path: [0, "price"], message: "must be number" },
			{ index: 2, path: [2, "id"], message: 'missing required field "id"' },
			{ path: ["body"], message: "something about the whole body" },
		]);
		expect(error).toMatchObject({ code: "INVALID_PAYLOAD", status: 400, requestId: "req_bad", retryable: false });
		expect(error.message).toBe("2 of 3 items do not match the stream's schema.");
	});

	it("is never retried: a 400 answers the same however often it is sent", async () => {
		const api = fakeApi([refusedItems([{ index: 0, path: [0], message: "bad" }], "1 of 1 items do not match the stream's schema.")]);
		await expect(client(api.fetch).ingest([{ id: 1 }])).rejects.toMatchObject({ code: "INVALID_PAYLOAD" });
		expect(api.sent).toHaveLength(1);
	});

	it.each([
		["a string", "oops"],
		["an object", { index: 0, path: [0], message: "not in a list" }],
		["null", null],
		["a number", 42],
	])("is [] when the server sends details as %s", async (_, details) => {
		const error = await errorOf(refusedItems(details, "Bad."));
		expect(error.details).toEqual([]);
		expect(error).toMatchObject({ code: "INVALID_PAYLOAD", message: "Bad." });
	});

	it("keeps only the well-formed part of malformed entries, without crashing", async () => {
		const error = await errorOf(
			refusedItems(
				[
					null,
					7,
					"text",
					[0, "price"],
					{ index: 0, path: [0, "price"] },
					{ index: 0, path: [0, "price"], message: 3 },
					{ index: 1, path: "1.price", message: "path not a list" },
					{ index: 2, path: [2, { field: "x" }], message: "path with an object" },
					{ index: 3, path: [3, Number.NaN], message: "path with NaN" },
					{ index: -1, path: [], message: "negative index" },
					{ index: 1.5, path: [], message: "fractional index" },
					{ index: "4", path: [4], message: "index as text" },
					{ index: 5, path: [5, "ok"], message: "well formed", extra: true },
				],
				"Bad.",
			),
		);
		expect(error.details).toEqual([
			{ index: 1, path: [], message: "path not a list" },
			{ index: 2, path: [], message: "path with an object" },
			{ index: 3, path: [], message: "path with NaN" },
			{ path: [], message: "negative index" },
			{ path: [], message: "fractional index" },
			{ path: [4], message: "index as text" },
			{ index: 5, path: [5, "ok"], message: "well formed" },
		]);
	});

	it("is [] when the error envelope has no details, or the body is not the envelope", async () => {
		expect((await errorOf(Response.json({ success: false, error: { code: "INVALID_PAYLOAD", message: "Bad." } }, { status: 400 }))).details).toEqual([]);
		const notJson = await errorOf(new Response("<html>Bad gateway</html>", { status: 400 }));
		expect(notJson).toMatchObject({ code: "UNEXPECTED_RESPONSE", details: [] });
	});
});
