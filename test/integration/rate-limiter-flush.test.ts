import { abortAllDurableObjects, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { RateLimiter } from "../../src/services/rate-limit/rate-limiter";
import type { BucketState } from "../../src/model/token-bucket";
import { eventually } from "../helpers";

const limit = { requests: 5, period_seconds: 3600 };

describe("rate limiter persistence", () => {
	it("writes the bucket once shortly after a burst of takes, and a reset object resumes from it", async () => {
		const id = env.RATE_LIMITER.idFromName(`flush-${crypto.randomUUID()}`);
		const stub = env.RATE_LIMITER.get(id);
		for (let i = 0; i < 3; i++) expect((await stub.take(limit)).allowed).toBe(true);
		// Not yet written: the flush is deferred so a burst costs one commit, not one per request.
		await runInDurableObject(stub, async (_instance: RateLimiter, state) => {
			expect(await state.storage.get<BucketState>("bucket")).toBeUndefined();
		});
		await eventually(() =>
			runInDurableObject(stub, async (_instance: RateLimiter, state) => {
				expect((await state.storage.get<BucketState>("bucket"))?.tokens).toBeCloseTo(2, 3);
			}),
		);

		await abortAllDurableObjects();
		// A stub does not survive its object's reset; a new one reaches the new instance.
		const after = await env.RATE_LIMITER.get(id).take(limit);
		expect(after).toMatchObject({ allowed: true, remaining: 1 });
	});
});
