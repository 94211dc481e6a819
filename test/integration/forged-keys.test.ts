import { describe, expect, it } from "vitest";
import { connectorWithKey, ingest } from "../helpers";

const forgedKey = () => {
	const random = new Uint8Array(32);
	crypto.getRandomValues(random);
	return `ik_live_${btoa(String.fromCharCode(...random)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "")}`;
};

describe("a flood of forged ingest keys", () => {
	it("is refused with 401 while a real key, new to the isolate, still gets in", async () => {
		const c = await connectorWithKey();
		// More distinct forged keys than the lookup budget's burst, so the real key is looked up in a batch.
		const forged = Array.from({ length: 300 }, () => ingest(forgedKey(), { x: 1 }));
		const real = ingest(c.key, { x: 1 });
		const statuses = await Promise.all(
			forged.map(async (pending) => {
				const response = await pending;
				await response.arrayBuffer();
				return response.status;
			}),
		);
		expect(new Set(statuses)).toEqual(new Set([401]));
		expect((await real).status).toBe(202);
	});
});
