import { describe, expect, it } from "vitest";
import { ApiError } from "../../src/model/errors";
import { parseIngestHeaders } from "../../src/edge/ingest/headers";

const parse = (init: Record<string, string>) => parseIngestHeaders(new Headers(init));

/** Expects the headers to be refused with 400 INVALID_PAYLOAD; returns the error. */
function refused(init: Record<string, string>): ApiError {
	let thrown: unknown;
	try {
		parse(init);
	} catch (error) {
		thrown = error;
	}
	expect(thrown, JSON.stringify(init)).toBeInstanceOf(ApiError);
	const error = thrown as ApiError;
	expect(error.status).toBe(400);
	expect(error.code).toBe("INVALID_PAYLOAD");
	expect(error.message).toBe(error.details?.[0]?.message);
	return error;
}

const json = { "Content-Type": "application/json" };

describe("parseIngestHeaders: Content-Type", () => {
	it("reads application/json and application/x-ndjson as formats", () => {
		expect(parse(json)).toEqual({ "content-type": "json" });
		expect(parse({ "Content-Type": "application/x-ndjson" })).toEqual({ "content-type": "ndjson" });
	});

	it("ignores parameters, case and spaces around the media type", () => {
		expect(parse({ "Content-Type": "application/json; charset=utf-8" })["content-type"]).toBe("json");
		expect(parse({ "Content-Type": "Application/JSON;charset=UTF-8" })["content-type"]).toBe("json");
		expect(parse({ "Content-Type": "application/x-ndjson ; charset=utf-8" })["content-type"]).toBe("ndjson");
	});

	it("refuses a missing Content-Type, naming it", () => {
		const error = refused({});
		expect(error.message).toContain("Content-Type is required");
		expect(error.details).toEqual([{ path: ["headers", "content-type"], message: error.message }]);
	});

	it("refuses other media types", () => {
		for (const type of ["text/plain", "application/xml", "application/jsonx", "application/json-seq", "multipart/form-data", ""]) {
			const error = refused({ "Content-Type": type });
			expect(error.details?.[0]?.path).toEqual(["headers", "content-type"]);
		}
	});
});

describe("parseIngestHeaders: Content-Encoding", () => {
	it("reads gzip and x-gzip, in any case, as gzip", () => {
		for (const encoding of ["gzip", "GZIP", "x-gzip", " gzip "]) {
			expect(parse({ ...json, "Content-Encoding": encoding })["content-encoding"], encoding).toBe("gzip");
		}
	});

	it("reads identity or an empty value as identity, and leaves an absent one unset", () => {
		expect(parse({ ...json, "Content-Encoding": "identity" })["content-encoding"]).toBe("identity");
		expect(parse({ ...json, "Content-Encoding": "" })["content-encoding"]).toBe("identity");
		expect(parse(json)["content-encoding"]).toBeUndefined();
	});

	it("refuses other encodings, naming the header", () => {
		for (const encoding of ["deflate", "br", "zstd", "gzip, gzip", "compress"]) {
			const error = refused({ ...json, "Content-Encoding": encoding });
			expect(error.details?.[0]).toEqual({
				path: ["headers", "content-encoding"],
				message: "Content-Encoding must be gzip (or absent).",
			});
		}
	});
});

describe("parseIngestHeaders: Idempotency-Key", () => {
	it("accepts 1 to 255 printable ASCII characters, spaces inside included", () => {
		for (const key of ["a", "order-4711-v1", "a b", "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", "k".repeat(255)]) {
			expect(parse({ ...json, "Idempotency-Key": key })["idempotency-key"]).toBe(key);
		}
	});

	it("refuses an empty key and one of 256 characters", () => {
		refused({ ...json, "Idempotency-Key": "" });
		const error = refused({ ...json, "Idempotency-Key": "k".repeat(256) });
		expect(error.details).toEqual([
			{ path: ["headers", "idempotency-key"], message: "Idempotency-Key must be 1–255 printable ASCII characters." },
		]);
	});

	it("refuses control and non-ASCII characters", () => {
		for (const key of ["a\tb", "a\u007fb", "caf\u00e9"]) refused({ ...json, "Idempotency-Key": key });
	});

	it("is left unset when absent", () => {
		expect(parse(json)["idempotency-key"]).toBeUndefined();
		expect(parse(json)["x-item-key"]).toBeUndefined();
	});
});

describe("parseIngestHeaders: X-Item-Key", () => {
	it("accepts a field name of 1 to 128 printable ASCII characters", () => {
		expect(parse({ ...json, "X-Item-Key": "id" })["x-item-key"]).toBe("id");
		expect(parse({ ...json, "X-Item-Key": "order.id" })["x-item-key"]).toBe("order.id");
		expect(parse({ ...json, "X-Item-Key": "f".repeat(128) })["x-item-key"]).toBe("f".repeat(128));
	});

	it("refuses spaces, control characters, an empty name and 129 characters", () => {
		for (const field of ["order id", "a\tb", "a\u007fb", "", "f".repeat(129)]) {
			const error = refused({ ...json, "X-Item-Key": field });
			expect(error.details?.[0]?.path).toEqual(["headers", "x-item-key"]);
		}
	});
});

describe("parseIngestHeaders: several headers", () => {
	it("returns every header it read", () => {
		expect(
			parse({
				"Content-Type": "application/x-ndjson",
				"Content-Encoding": "gzip",
				"Idempotency-Key": "order-1",
				"X-Item-Key": "sku",
			}),
		).toEqual({ "content-type": "ndjson", "content-encoding": "gzip", "idempotency-key": "order-1", "x-item-key": "sku" });
	});

	it("lists every bad header in details, the first one as the message", () => {
		const error = refused({ "Content-Type": "text/plain", "Content-Encoding": "br", "Idempotency-Key": "", "X-Item-Key": "a b" });
		expect(error.details?.map((detail) => detail.path)).toEqual([
			["headers", "content-type"],
			["headers", "content-encoding"],
			["headers", "idempotency-key"],
			["headers", "x-item-key"],
		]);
	});
});

describe("parseIngestHeaders: the isolate's memo of header combinations", () => {
	it("answers a repeated combination as zod did, and still refuses a bad one every time", () => {
		const headers = { "Content-Type": "application/x-ndjson", "X-Ingest-Mode": "DELETE", "X-Item-Key": "sku" };
		const first = parse(headers);
		expect(parse(headers)).toEqual(first);
		expect(first).toEqual({ "content-type": "ndjson", "x-ingest-mode": "delete", "x-item-key": "sku" });
		for (let i = 0; i < 3; i++) refused({ ...json, "X-Ingest-Mode": "merge" });
		// An absent header and an empty one are different combinations.
		expect(parse({ ...json, "Content-Encoding": "" })).toEqual({ "content-type": "json", "content-encoding": "identity" });
		expect(parse(json)).toEqual({ "content-type": "json" });
	});

	it("keeps working past its bound, and never memoises Idempotency-Key requests", () => {
		for (let i = 0; i < 600; i++) expect(parse({ ...json, "X-Item-Key": `k${i}` })["x-item-key"]).toBe(`k${i}`);
		expect(parse({ ...json, "Idempotency-Key": "a" })["idempotency-key"]).toBe("a");
		expect(parse({ ...json, "Idempotency-Key": "b" })["idempotency-key"]).toBe("b");
		refused({ ...json, "Idempotency-Key": "a\tb" });
	});
});
