import { createExecutionContext, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import production from "../../src/index";
import { FaultSwitch } from "../fixtures/fault-switch";
import type { FaultyStreamObject } from "../fixtures/faulty-stream-object";
import { ADMIN_TOKEN, admin, data, failure, freshStream } from "../helpers";

/** Asks the production Worker itself, not the test Worker the tests run. */
async function productionAdmin(path: string, init: RequestInit = {}): Promise<Response> {
	const ctx = createExecutionContext();
	const headers = { Authorization: `Bearer ${ADMIN_TOKEN}`, "Content-Type": "application/json" };
	const response = await production.fetch(new Request(`http://datapool.test/api/admin${path}`, { headers, ...init }) as Request<unknown, IncomingRequestCfProperties>, env, ctx);
	await waitOnExecutionContext(ctx);
	return response;
}

const faultyStub = (stream: string) => env.STREAM.get(env.STREAM.idFromName(stream)) as unknown as DurableObjectStub<FaultyStreamObject>;

describe("fault injection (test Worker only)", () => {
	it("has no route in the production Worker, whose other stream routes are untouched", async () => {
		const stream = freshStream();
		await failure(await productionAdmin(`/streams/${stream}/faults`, { method: "POST", body: JSON.stringify({ site: "apply", kind: "throw" }) }), 404, "NOT_FOUND");
		await failure(await productionAdmin(`/streams/${stream}/faults`), 404, "NOT_FOUND");
		await failure(await productionAdmin(`/streams/${stream}/tokens`, { method: "POST" }), 404, "STREAM_NOT_FOUND");
	});

	it("needs the admin token, and validates a fault: the kind must fit the site", async () => {
		const stream = freshStream();
		await failure(await admin(`/streams/${stream}/faults`, { body: { site: "apply", kind: "throw" }, token: "wrong" }), 401, "UNAUTHORIZED");
		const body = await failure(await admin(`/streams/${stream}/faults`, { body: { site: "consumer", kind: "abort" } }), 400, "INVALID_PAYLOAD");
		expect(body.error.details?.[0]?.path).toEqual(["kind"]);
		expect(await data(await admin(`/streams/${stream}/faults`, { body: { site: "apply", kind: "throw" } }), 201)).toHaveLength(1);
		expect(await faultyStub(stream).takeFault("apply")).toMatchObject({ kind: "throw" });
		expect(await faultyStub(stream).takeFault("apply")).toBeNull();
	});

	it("strikes each armed fault `times` times, first armed first, and survives a reset of the object", async () => {
		const stub = faultyStub(freshStream());
		await runInDurableObject(stub, async (_instance: FaultyStreamObject, state) => {
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
