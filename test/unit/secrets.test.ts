import { describe, expect, it } from "vitest";
import { SECRET_PREFIX, digestsEqual, displayPrefix, generateSecret, secretsEqual, sha256Hex } from "../../src/services/auth/secrets";

describe("generateSecret", () => {
	it("is the prefix followed by 43 base64url characters", () => {
		for (const prefix of Object.values(SECRET_PREFIX)) {
			const secret = generateSecret(prefix);
			expect(secret.startsWith(prefix)).toBe(true);
			expect(secret.slice(prefix.length)).toMatch(/^[A-Za-z0-9_-]{43}$/);
		}
	});

	it("never repeats", () => {
		const secrets = new Set(Array.from({ length: 1000 }, () => generateSecret(SECRET_PREFIX.ingestKey)));
		expect(secrets.size).toBe(1000);
	});

	it("uses the whole base64url alphabet, decoding to 32 bytes", () => {
		const random = Array.from({ length: 200 }, () => generateSecret("")).join("");
		expect(new Set(random).size).toBe(64);
		const padded = generateSecret("").replaceAll("-", "+").replaceAll("_", "/");
		expect(atob(`${padded}=`)).toHaveLength(32);
	});
});

describe("displayPrefix", () => {
	it("keeps the kind prefix and the first 4 random characters", () => {
		expect(displayPrefix("ik_live_AbCdEfGh")).toBe("ik_live_AbCd");
		expect(displayPrefix("rk_live_wxyz1234")).toBe("rk_live_wxyz");
		expect(displayPrefix("rk_tmp_wxyz1234")).toBe("rk_tmp_wxyz");
	});

	it("is not misled by underscores in the random part", () => {
		expect(displayPrefix(`ik_live_Ab_d${"x".repeat(30)}_yz`)).toBe("ik_live_Ab_d");
		expect(displayPrefix(`ik_live_${"x".repeat(39)}_abc`)).toBe("ik_live_xxxx");
		expect(displayPrefix("ik_live____________")).toBe("ik_live_____");
	});

	it("shows exactly 4 random characters of generated secrets", () => {
		for (const prefix of Object.values(SECRET_PREFIX)) {
			for (let i = 0; i < 200; i++) {
				const secret = generateSecret(prefix);
				expect(displayPrefix(secret)).toBe(secret.slice(0, prefix.length + 4));
			}
		}
	});
});

describe("sha256Hex", () => {
	it("matches the FIPS 180-2 test vectors", async () => {
		expect(await sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
		expect(await sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	});

	it("hashes a string as its UTF-8 bytes", async () => {
		expect(await sha256Hex(new Uint8Array([0x61, 0x62, 0x63]))).toBe(await sha256Hex("abc"));
		expect(await sha256Hex("é")).toBe(await sha256Hex(new Uint8Array([0xc3, 0xa9])));
	});

	it("is 64 lower-case hex characters", async () => {
		expect(await sha256Hex(generateSecret(SECRET_PREFIX.ingestKey))).toMatch(/^[0-9a-f]{64}$/);
	});
});

describe("secretsEqual", () => {
	it("is true for equal secrets", async () => {
		const secret = generateSecret(SECRET_PREFIX.ingestKey);
		expect(await secretsEqual(secret, secret.slice(0, 10) + secret.slice(10))).toBe(true);
		expect(await secretsEqual("", "")).toBe(true);
	});

	it("is false for different secrets of the same length", async () => {
		expect(await secretsEqual("token-a", "token-b")).toBe(false);
		expect(await secretsEqual("Token", "token")).toBe(false);
	});

	it("is false, without throwing, for secrets of different lengths", async () => {
		expect(await secretsEqual("token", "token-longer")).toBe(false);
		expect(await secretsEqual("", "x")).toBe(false);
	});
});

describe("digestsEqual", () => {
	it("compares digests", async () => {
		const abc = await sha256Hex("abc");
		expect(digestsEqual(abc, await sha256Hex("abc"))).toBe(true);
		expect(digestsEqual(abc, await sha256Hex("abd"))).toBe(false);
	});

	it("is false for different lengths", async () => {
		const abc = await sha256Hex("abc");
		expect(digestsEqual(abc, abc.slice(0, 63))).toBe(false);
		expect(digestsEqual(abc, `${abc}0`)).toBe(false);
	});
});
