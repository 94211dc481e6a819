import { createExecutionContext, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { FaultSwitch } from "../../src/streams/fault-switch";
import type { StreamObject } from "../../src/streams/stream-object";
import { streamStub } from "../../src/streams/stub";
import { ADMIN_TOKEN, admin, failure, freshStream } from "../helpers";

describe("fault injection", () => {
	it("has no route unless FAULT_INJECTION is 1, and the other stream routes are untouched", async () => {
		const stream = freshStream();
		await failure(await admin(`/streams/${stream}/faults`, { body: { site: "apply", kind: "throw" } }), 404, "NOT_FOUND");
		await failure(await admin(`/streams/${stream}/faults`), 404, "NOT_FOUND");
		await failure(await admin(`/streams/${stream}/faults`, { method: "DELETE" }), 404, "NOT_FOUND");
		expect(await streamStub(env, stream).takeFault("apply")).toBeNull();
		await failure(await admin(`/streams/${stream}/tokens`, { method: "POST" }), 404, "STREAM_NOT_FOUND");
	});

	it("validates a fault when switched on: the kind must fit the site", async () => {
		const ctx = createExecutionContext();
		const response = await worker.fetch(
			new Request(`http://datapool.test/api/admin/streams/${freshStream()}/faults`, {
				method: "POST",
				headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, "Content-Type": "application/json" },
				body: JSON.stringify({ site: "consumer", kind: "abort" }),
			}),
			{ ...env, FAULT_INJECTION: "1" } as Env,
			ctx,
		);
		await waitOnExecutionContext(ctx);
		const body = await failure(response, 400, "INVALID_PAYLOAD");
		expect(body.error.details?.[0]?.path).toEqual(["kind"]);
	});

	it("strikes each armed fault `times` times, first armed first, and survives a reset of the object", async () => {
		const stub = streamStub(env, freshStream());
		await runInDurableObject(stub, async (_instance: StreamObject, state) => {
			const faults = new FaultSwitch(state.storage);
			await faults.arm({ site: "apply", kind: "slow", times: 2, delay_ms: 5 });
			expect(await faults.arm({ site: "apply", kind: "throw", times: 1, delay_ms: 0 })).toHaveLength(2);
			expect(await faults.take("consumer")).toBeNull();
			const again = new FaultSwitch(state.storage);
			expect((await again.take("apply"))?.kind).toBe("slow");
			expect((await again.take("apply"))?.kind).toBe("slow");
			expect((await again.take("apply"))?.kind).toBe("throw");
			expect(await again.take("apply")).toBeNull();
			await again.arm({ site: "consumer", kind: "redeliver", times: 3, delay_ms: 0 });
			expect(await again.list()).toEqual([{ site: "consumer", kind: "redeliver", times: 3, delay_ms: 0 }]);
			await again.clear();
			expect(await again.list()).toEqual([]);
		});
	});
});
