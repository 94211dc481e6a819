import { afterEach, describe, expect, it, vi } from "vitest";
import { DataPoolIngest, newIdempotencyKey } from "../../../src/sdk/index.ts";
import { fakeApi } from "./fake-api.ts";

afterEach(() => {
	vi.unstubAllGlobals();
});

describe("newIdempotencyKey", () => {
	it("is sdk1_ and 128 random bits in hex, a valid Idempotency-Key", () => {
		const key = newIdempotencyKey();
		expect(key).toMatch(/^sdk1_[0-9a-f]{32}$/);
		// The contract's limit on the header.
		expect(key).toMatch(/^[\x20-\x7e]{1,255}$/);
	});

	it("is new every time", () => {
		const keys = new Set(Array.from({ length: 1000 }, () => newIdempotencyKey()));
		expect(keys.size).toBe(1000);
	});

	it("says what to do where the runtime has no crypto.getRandomValues", async () => {
		vi.stubGlobal("crypto", undefined);
		expect(() => newIdempotencyKey()).toThrow(new TypeError(
			"crypto.getRandomValues is missing, so no Idempotency-Key can be made: pass idempotencyKey, or on Node 18 run with --experimental-global-webcrypto.",
		));
		const api = fakeApi();
		const client = new DataPoolIngest({ key: "ik_live_test", baseUrl: "https://ingest.example.com", fetch: api.fetch });
		await expect(client.ingest({ id: 1 })).rejects.toThrow(TypeError);
		expect(() => client.createBatcher()).toThrow(TypeError);
		expect(api.sent).toHaveLength(0);
		// A key of the caller's needs no randomness.
		await expect(client.ingest({ id: 1 }, { idempotencyKey: "order-1" })).resolves.toMatchObject({ items_received: 1 });
		const batcher = client.createBatcher({ idempotencyKey: ({ offset }) => `import-1-${offset}` });
		await batcher.add({ id: 2 });
		await batcher.close();
		expect(api.sent.map((r) => r.headers.get("Idempotency-Key"))).toEqual(["order-1", "import-1-0"]);
	});
});
