import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { StreamObject } from "../../src/stream/stream-object";
import { streamStub } from "../../src/stream/stub";
import { connectorWithKey, data, eventually, failure, ingest, logs, snapshot } from "../helpers";

interface Accepted {
	stream: string;
	items_received: number;
	request_id: string;
}

describe("Idempotency-Key", () => {
	it("replays the same body with the original request_id and applies it once", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		const body = [{ id: "a", n: 1 }];
		const first = await ingest(c.key, body, { "Idempotency-Key": "order-1" });
		const original = await data<Accepted>(first, 202);
		expect(first.headers.get("Idempotent-Replayed")).toBeNull();
		await eventually(async () => expect((await snapshot(c.stream)).seq).toBe(1));

		const again = await ingest(c.key, body, { "Idempotency-Key": "order-1" });
		expect(await data<Accepted>(again, 202)).toEqual(original);
		expect(again.headers.get("Idempotent-Replayed")).toBe("true");
		expect(again.headers.get("X-Request-Id")).not.toBe(original.request_id);

		const entries = await eventually(async () => {
			const found = await logs(c.id);
			expect(found.map((entry) => entry.status)).toEqual(["duplicate", "processed"]);
			return found;
		});
		expect(entries[0]?.idempotency_key).toBe("order-1");
		expect((await snapshot(c.stream)).seq).toBe(1);
	});

	it("answers 422 IDEMPOTENCY_KEY_REUSED for another body and applies nothing of it", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		await data(await ingest(c.key, { id: "a", n: 1 }, { "Idempotency-Key": "k" }), 202);
		await failure(await ingest(c.key, { id: "a", n: 2 }, { "Idempotency-Key": "k" }), 422, "IDEMPOTENCY_KEY_REUSED");
		const snap = await eventually(async () => {
			const s = await snapshot(c.stream);
			expect(s.seq).toBe(1);
			return s;
		});
		expect(snap.items[0]?.value).toEqual({ id: "a", n: 1 });
		await eventually(async () => expect((await logs(c.id, "?status=rejected")).length).toBe(1));
	});

	it("scopes keys to the connector", async () => {
		const stream = (await connectorWithKey()).stream;
		const a = await connectorWithKey({ stream });
		const b = await connectorWithKey({ stream });
		const first = await data<Accepted>(await ingest(a.key, { x: 1 }, { "Idempotency-Key": "shared" }), 202);
		const second = await ingest(b.key, { x: 2 }, { "Idempotency-Key": "shared" });
		expect((await data<Accepted>(second, 202)).request_id).not.toBe(first.request_id);
		expect(second.headers.get("Idempotent-Replayed")).toBeNull();
	});

	it("applies 20 concurrent identical requests once, all answered with one request_id", async () => {
		const c = await connectorWithKey();
		const body = [{ n: 1 }, { n: 2 }, { n: 3 }];
		const responses = await Promise.all(
			Array.from({ length: 20 }, () => ingest(c.key, body, { "Idempotency-Key": "burst" })),
		);
		const accepted = await Promise.all(responses.map((response) => data<Accepted>(response, 202)));
		expect(new Set(accepted.map((answer) => answer.request_id)).size).toBe(1);

		const entries = await eventually(async () => {
			const found = await logs(c.id);
			expect(found).toHaveLength(20);
			expect(found.filter((entry) => entry.status === "queued")).toHaveLength(0);
			return found;
		});
		expect(entries.filter((entry) => entry.status === "processed")).toHaveLength(1);
		expect(entries.filter((entry) => entry.status === "duplicate")).toHaveLength(19);
		const snap = await snapshot(c.stream);
		expect(snap.items.map((item) => item.value)).toEqual(body);
		expect(snap.seq).toBe(3);
	});

	it("lets a client retry a key whose request failed in the stream, instead of replaying the failure", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		const stub = streamStub(env, c.stream);
		await runInDurableObject(stub, (_instance: StreamObject, state) => {
			state.storage.sql.exec(
				"CREATE TRIGGER refuse_boom BEFORE INSERT ON items WHEN NEW.key = 'boom' BEGIN SELECT RAISE(ABORT, 'refused'); END",
			);
		});
		const first = await data<Accepted>(await ingest(c.key, { id: "boom" }, { "Idempotency-Key": "retry-me" }), 202);
		await eventually(async () => expect((await logs(c.id))[0]).toMatchObject({ request_id: first.request_id, status: "failed" }));
		await runInDurableObject(stub, (_instance: StreamObject, state) => {
			state.storage.sql.exec("DROP TRIGGER refuse_boom");
		});

		const retry = await ingest(c.key, { id: "boom" }, { "Idempotency-Key": "retry-me" });
		const second = await data<Accepted>(retry, 202);
		expect(retry.headers.get("Idempotent-Replayed")).toBeNull();
		expect(second.request_id).not.toBe(first.request_id);
		await eventually(async () => expect((await snapshot(c.stream)).items.map((item) => item.key)).toEqual(["boom"]));
	});
});
