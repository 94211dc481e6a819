import { describe, expect, it } from "vitest";
import { deriveIdempotencyKey } from "../../../src/sdk/index.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("deriveIdempotencyKey", () => {
	it("is SHA-256 over the item key, a NUL byte and the body, as a valid Idempotency-Key", async () => {
		// sha256("id" + "\0" + '[{"id":1}]'), computed independently.
		expect(await deriveIdempotencyKey(bytes('[{"id":1}]'), "id")).toBe(
			"sdk1_9cdb747f01e4dafccbd9e2a43576ffdb7e1c714104fe166724018c82495148fb",
		);
		expect(await deriveIdempotencyKey(bytes("{}"))).toMatch(/^[\x20-\x7e]{1,255}$/);
	});

	it("is the same for the same body and item key, and differs when either differs", async () => {
		const body = bytes('[{"id":"a","v":1}]');
		const key = await deriveIdempotencyKey(body, "id");
		expect(await deriveIdempotencyKey(bytes('[{"id":"a","v":1}]'), "id")).toBe(key);
		expect(await deriveIdempotencyKey(body, "v")).not.toBe(key);
		expect(await deriveIdempotencyKey(body)).not.toBe(key);
		expect(await deriveIdempotencyKey(bytes('[{"id":"a","v":2}]'), "id")).not.toBe(key);
		// Whitespace is part of the bytes: the key follows the exact body, not its meaning.
		expect(await deriveIdempotencyKey(bytes('[{"id":"a", "v":1}]'), "id")).not.toBe(key);
	});
});
