import { describe, expect, it } from "vitest";
import { bearerToken } from "../../src/services/auth/bearer";

describe("bearerToken", () => {
	it("returns the token of a Bearer header", () => {
		expect(bearerToken("Bearer ik_live_abc-DEF_123")).toBe("ik_live_abc-DEF_123");
		expect(bearerToken("Bearer a")).toBe("a");
	});

	it("accepts any printable ASCII token up to 512 characters", () => {
		expect(bearerToken("Bearer !~=+/.")).toBe("!~=+/.");
		expect(bearerToken(`Bearer ${"t".repeat(512)}`)).toBe("t".repeat(512));
		expect(bearerToken(`Bearer ${"t".repeat(513)}`)).toBeNull();
	});

	it("reads the scheme case-insensitively (RFC 7235) and keeps the token's case", () => {
		expect(bearerToken("bearer AbC")).toBe("AbC");
		expect(bearerToken("BEARER AbC")).toBe("AbC");
	});

	it("returns null when the header is absent", () => {
		expect(bearerToken(undefined)).toBeNull();
		expect(bearerToken(null)).toBeNull();
		expect(bearerToken("")).toBeNull();
	});

	it("returns null for other schemes and malformed headers", () => {
		for (const header of [
			"Basic dXNlcjpwYXNz",
			"Bearer",
			"Bearer ",
			"Bearerabc",
			"Token abc",
			"abc",
			"Bearer two words",
			"Bearer  leading-space",
			"Bearer tab\tinside",
			"Bearer caf\u00e9",
			" Bearer abc",
		]) {
			expect(bearerToken(header), header).toBeNull();
		}
	});
});
