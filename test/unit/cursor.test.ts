import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor } from "../../src/edge/admin/cursor";
import { ApiError } from "../../src/model/errors";

const base64url = (text: string) => btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");

function refused(cursor: string): void {
	let thrown: unknown;
	try {
		decodeCursor(cursor);
	} catch (error) {
		thrown = error;
	}
	expect(thrown, cursor).toBeInstanceOf(ApiError);
	expect((thrown as ApiError).status).toBe(400);
	expect((thrown as ApiError).code).toBe("INVALID_PAYLOAD");
	expect((thrown as ApiError).message).toContain("next_cursor");
}

describe("encodeCursor / decodeCursor", () => {
	const position = { received_at: "2026-11-26T06:50:58.123Z", request_id: "req_01jzq3k2m4n5p6q7r8s9t0v1w2" };

	it("round-trips a log position", () => {
		expect(decodeCursor(encodeCursor(position))).toEqual(position);
	});

	it("makes an opaque, URL-safe cursor without padding", () => {
		const cursor = encodeCursor(position);
		expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
		expect(cursor).not.toContain(position.request_id);
	});

	it("round-trips values whose base64 holds + and /", () => {
		// "?>" and "~" encode to characters that standard base64 spells + and /.
		const tricky = { received_at: "?>?>~~~", request_id: ">>>???" };
		expect(btoa(JSON.stringify([tricky.received_at, tricky.request_id]))).toMatch(/[+/]/);
		const cursor = encodeCursor(tricky);
		expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
		expect(decodeCursor(cursor)).toEqual(tricky);
	});

	it("round-trips empty strings and 64-character values", () => {
		const edge = { received_at: "", request_id: "r".repeat(64) };
		expect(decodeCursor(encodeCursor(edge))).toEqual(edge);
	});

	it("refuses what is not base64 or not JSON", () => {
		refused("");
		refused("!!!not-base64!!!");
		refused(base64url("not json"));
		refused(base64url('["a",'));
	});

	it("refuses JSON of the wrong shape", () => {
		refused(base64url("{}"));
		refused(base64url('{"received_at":"a","request_id":"b"}'));
		refused(base64url("[]"));
		refused(base64url('["only one"]'));
		refused(base64url('["a","b","c"]'));
		refused(base64url("[1,2]"));
		refused(base64url('["a",null]'));
		refused(base64url("null"));
	});

	it("refuses values longer than 64 characters", () => {
		refused(base64url(JSON.stringify(["x".repeat(65), "req"])));
		refused(base64url(JSON.stringify(["2026-11-26T06:50:58.123Z", "r".repeat(65)])));
	});
});
