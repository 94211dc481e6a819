import { describe, expect, it } from "vitest";
import { backoffDelay, isRetryableStatus, parseRetryAfter, retryDelay } from "../../../src/sdk/index.ts";

const options = { baseMs: 100, capMs: 1000 };

describe("backoffDelay", () => {
	it("draws uniformly below a ceiling that doubles per retry up to the cap (full jitter)", () => {
		const ceilings = [1, 2, 3, 4, 5, 6].map((retry) => backoffDelay(retry, options, () => 0.999999) + 1);
		expect(ceilings).toEqual([100, 200, 400, 800, 1000, 1000]);
		expect(backoffDelay(3, options, () => 0)).toBe(0);
		expect(backoffDelay(3, options, () => 0.5)).toBe(200);
	});
});

describe("parseRetryAfter", () => {
	it("reads delta-seconds and HTTP dates, and ignores what it cannot read", () => {
		expect(parseRetryAfter("3")).toBe(3);
		expect(parseRetryAfter(" 0 ")).toBe(0);
		const now = Date.parse("2026-01-01T00:00:00Z");
		expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:05 GMT", now)).toBe(5);
		expect(parseRetryAfter("Wed, 31 Dec 2025 23:59:00 GMT", now)).toBe(0);
		expect(parseRetryAfter(null)).toBeNull();
		expect(parseRetryAfter("soon")).toBeNull();
		expect(parseRetryAfter("-1")).toBeNull();
	});
});

describe("isRetryableStatus", () => {
	it("retries 429 and 5xx only", () => {
		const retried = [200, 202, 400, 401, 403, 404, 408, 413, 422, 429, 500, 502, 503, 504, 599].filter(isRetryableStatus);
		expect(retried).toEqual([429, 500, 502, 503, 504, 599]);
	});
});

describe("retryDelay", () => {
	it("waits what Retry-After asks, else backs off", () => {
		expect(retryDelay(1, 2, options, () => 0.5)).toBe(2000);
		expect(retryDelay(1, null, options, () => 0.5)).toBe(50);
		expect(retryDelay(1, 0, options, () => 0.5)).toBe(50);
	});
});
