import { describe, expect, it } from "vitest";
import { config } from "../../src/model/config";

const DEFAULTS = {
	AUTH_CACHE_TTL_SECONDS: 30,
	DEFAULT_RATE_LIMIT_REQUESTS: 1000,
	DEFAULT_RATE_LIMIT_PERIOD_SECONDS: 10,
	MAX_ITEMS_PER_STREAM: 100_000,
	MAX_STREAM_BYTES: 32 * 1024 * 1024,
	LOG_RETENTION_DAYS: 30,
	PARTS_TIMEOUT_SECONDS: 900,
	QUEUE_MAX_RETRIES: 5,
};

describe("config", () => {
	it("falls back to the defaults when nothing is set", () => {
		expect(config({})).toMatchObject(DEFAULTS);
	});

	it("treats blank and null values as unset, not as 0", () => {
		expect(config({ AUTH_CACHE_TTL_SECONDS: "", QUEUE_MAX_RETRIES: " " })).toMatchObject({
			AUTH_CACHE_TTL_SECONDS: 30,
			QUEUE_MAX_RETRIES: 5,
		});
		expect(config({ QUEUE_MAX_RETRIES: null })).toMatchObject({ QUEUE_MAX_RETRIES: 5 });
	});

	it("reads [vars] strings as integers", () => {
		expect(
			config({
				AUTH_CACHE_TTL_SECONDS: "60",
				DEFAULT_RATE_LIMIT_REQUESTS: "5",
				DEFAULT_RATE_LIMIT_PERIOD_SECONDS: "86400",
				MAX_ITEMS_PER_STREAM: "1",
				LOG_RETENTION_DAYS: "3650",
				PARTS_TIMEOUT_SECONDS: "10",
				QUEUE_MAX_RETRIES: "0",
			}),
		).toMatchObject({
			AUTH_CACHE_TTL_SECONDS: 60,
			DEFAULT_RATE_LIMIT_REQUESTS: 5,
			DEFAULT_RATE_LIMIT_PERIOD_SECONDS: 86_400,
			MAX_ITEMS_PER_STREAM: 1,
			LOG_RETENTION_DAYS: 3650,
			PARTS_TIMEOUT_SECONDS: 10,
			QUEUE_MAX_RETRIES: 0,
		});
	});

	it("accepts numbers as well as strings", () => {
		expect(config({ QUEUE_MAX_RETRIES: 7 }).QUEUE_MAX_RETRIES).toBe(7);
	});

	it("allows an auth cache TTL of 0 (no caching) but not over 60 s", () => {
		expect(config({ AUTH_CACHE_TTL_SECONDS: "0" }).AUTH_CACHE_TTL_SECONDS).toBe(0);
		expect(config({ AUTH_CACHE_TTL_SECONDS: "61" }).AUTH_CACHE_TTL_SECONDS).toBe(30);
		expect(config({ AUTH_CACHE_TTL_SECONDS: "-1" }).AUTH_CACHE_TTL_SECONDS).toBe(30);
	});

	it("falls back for values out of range, one setting at a time", () => {
		const parsed = config({
			DEFAULT_RATE_LIMIT_REQUESTS: "0",
			DEFAULT_RATE_LIMIT_PERIOD_SECONDS: "86401",
			MAX_ITEMS_PER_STREAM: "10000001",
			LOG_RETENTION_DAYS: "3651",
			PARTS_TIMEOUT_SECONDS: "9",
			QUEUE_MAX_RETRIES: "101",
			AUTH_CACHE_TTL_SECONDS: "45",
		});
		expect(parsed).toMatchObject({ ...DEFAULTS, AUTH_CACHE_TTL_SECONDS: 45 });
	});

	it("falls back for values that are not integers", () => {
		for (const value of ["abc", "12.5", "NaN", "Infinity", {}, []]) {
			expect(config({ LOG_RETENTION_DAYS: value }).LOG_RETENTION_DAYS, JSON.stringify(value)).toBe(30);
		}
	});

	it("ignores variables it does not know", () => {
		const env = { LOG_RETENTION_DAYS: "7", ADMIN_TOKEN: "secret" } as Record<string, unknown>;
		const parsed = config(env);
		expect(parsed).toMatchObject({ ...DEFAULTS, LOG_RETENTION_DAYS: 7 });
		expect(parsed).not.toHaveProperty("ADMIN_TOKEN");
	});

	it("parses once per env object", () => {
		const env = { QUEUE_MAX_RETRIES: "3" };
		expect(config(env)).toBe(config(env));
		expect(config({ QUEUE_MAX_RETRIES: "3" })).not.toBe(config(env));
	});
});
