import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { admin, call, connectorWithKey, data, eventually, failure, ingest, logs, snapshot } from "../helpers";

async function gzip(text: string | Uint8Array): Promise<Uint8Array> {
	const bytes = typeof text === "string" ? new TextEncoder().encode(text) : text;
	const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip"));
	return new Uint8Array(await new Response(stream).arrayBuffer());
}

describe("POST /api/ingest: 401 UNAUTHORIZED", () => {
	it.each([
		["missing", undefined],
		["not Bearer", "Basic abc"],
		["malformed", "Bearer ik_live_short"],
		["unknown", `Bearer ik_live_${"A".repeat(43)}`],
		["another kind of token", `Bearer rk_live_${"A".repeat(43)}`],
	])("refuses a %s key", async (_, authorization) => {
		const headers: Record<string, string> = { "Content-Type": "application/json" };
		if (authorization) headers.Authorization = authorization;
		const response = await call("/api/ingest", { method: "POST", headers, body: "{}" });
		await failure(response, 401, "UNAUTHORIZED");
	});

	it("refuses a revoked key at once, and the connector page shows it revoked", async () => {
		const c = await connectorWithKey();
		expect((await ingest(c.key, { a: 1 })).status).toBe(202);
		const revoked = await data<{ id: string; revoked_at: string | null }>(
			await admin(`/connectors/${c.id}/keys/${c.keyId}`, { method: "DELETE" }),
		);
		expect(revoked.revoked_at).not.toBeNull();
		await failure(await ingest(c.key, { a: 1 }), 401, "UNAUTHORIZED");
		const detail = await data<{ keys: { id: string; revoked_at: string | null }[] }>(await admin(`/connectors/${c.id}`));
		expect(detail.keys.find((key) => key.id === c.keyId)?.revoked_at).toBe(revoked.revoked_at);
	});
});

describe("POST /api/ingest: 400 INVALID_PAYLOAD", () => {
	it.each([
		["malformed JSON", "{", "application/json"],
		["a string", '"hello"', "application/json"],
		["a number", "42", "application/json"],
		["null", "null", "application/json"],
		["an empty array", "[]", "application/json"],
		["an array of non-objects", "[1, 2]", "application/json"],
		["an empty body", "", "application/json"],
		["text/plain", '{"a":1}', "text/plain"],
		["form data", "a=1", "application/x-www-form-urlencoded"],
		["a broken NDJSON line", '{"a":1}\n{"a":', "application/x-ndjson"],
		["nesting over 64 levels", `${"[".repeat(65)}${"]".repeat(65)}`, "application/json"],
	])("refuses %s", async (_, body, contentType) => {
		const c = await connectorWithKey();
		await failure(await ingest(c.key, body, { "Content-Type": contentType }), 400, "INVALID_PAYLOAD");
	});

	it("refuses a missing Content-Type", async () => {
		const c = await connectorWithKey();
		const response = await call("/api/ingest", {
			method: "POST",
			headers: { Authorization: `Bearer ${c.key}` },
			body: new TextEncoder().encode('{"a":1}'),
		});
		await failure(response, 400, "INVALID_PAYLOAD");
	});

	it("refuses invalid UTF-8", async () => {
		const c = await connectorWithKey();
		const bytes = new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]);
		await failure(await ingest(c.key, bytes), 400, "INVALID_PAYLOAD");
	});

	it("lists every item that lacks the item key, and queues nothing of the request", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		const body = await failure(
			await ingest(c.key, [{ id: "a" }, { name: "no id" }, { id: "" }, { id: 3 }, { id: null }, { id: { x: 1 } }]),
			400,
			"INVALID_PAYLOAD",
		);
		expect(body.error.details?.map((detail) => detail.index)).toEqual([1, 2, 4, 5]);
		expect(body.error.details?.[0]?.path).toEqual([1, "id"]);
		const entries = await eventually(async () => {
			const found = await logs(c.id);
			expect(found).toHaveLength(1);
			return found;
		});
		expect(entries[0]).toMatchObject({ status: "rejected", items_received: 6 });
		const items = await data<{ items: unknown[] }>(
			await call(`/api/streams/${c.stream}/items`, { headers: { Authorization: "Bearer test-admin-token" } }),
		);
		expect(items.items).toEqual([]);
	});

	it("answers 10,000 items lacking the item key with a small 400 listing the first 100", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		const response = await ingest(c.key, Array.from({ length: 10_000 }, () => ({})));
		const text = await response.clone().text();
		const body = await failure(response, 400, "INVALID_PAYLOAD");
		expect(body.error.details?.map((detail) => detail.index)).toEqual(Array.from({ length: 100 }, (_, i) => i));
		expect(body.error.details?.[99]?.path).toEqual([99, "id"]);
		expect(body.error.message).toContain("10,000 of 10,000 items");
		// 1.36 MB when every item was listed.
		expect(new TextEncoder().encode(text).byteLength).toBeLessThan(20_000);
	});

	it("refuses an item key of the keyless form <request_id>:<index>, and the keyless item stays as it was", async () => {
		const c = await connectorWithKey();
		const keyless = await data<{ request_id: string }>(await ingest(c.key, [{ who: "keyless" }]), 202);
		const reserved = `${keyless.request_id}:0`;
		await eventually(async () => expect((await snapshot(c.stream)).items.map((item) => item.key)).toEqual([reserved]));

		const refused = await failure(
			await ingest(c.key, [{ id: "fine", who: "keyed" }, { id: reserved, who: "intruder" }], { "X-Item-Key": "id" }),
			400,
			"INVALID_PAYLOAD",
		);
		expect(refused.error.details?.map(({ index, path }) => ({ index, path }))).toEqual([{ index: 1, path: [1, "id"] }]);
		expect(refused.error.details?.[0]?.message).toContain("reserved for keyless items");
		// A later request that is applied shows the refused one was not queued behind it.
		await data(await ingest(c.key, [{ id: "after" }], { "X-Item-Key": "id" }), 202);
		const items = await eventually(async () => {
			const found = (await snapshot(c.stream)).items;
			expect(found).toHaveLength(2);
			return found;
		});
		expect(items.map(({ key, value }) => ({ key, value }))).toEqual([
			{ key: reserved, value: { who: "keyless" } },
			{ key: "after", value: { id: "after" } },
		]);
	});

	it("uses X-Item-Key over the connector's item_key", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		await failure(await ingest(c.key, [{ id: "a" }], { "X-Item-Key": "sku" }), 400, "INVALID_PAYLOAD");
		expect((await ingest(c.key, [{ sku: "a" }], { "X-Item-Key": "sku" })).status).toBe(202);
	});

	it.each([
		["empty", ""],
		["too long", "k".repeat(256)],
		["with a control character", "tab\tinside"],
	])("refuses an Idempotency-Key that is %s", async (_, key) => {
		const c = await connectorWithKey();
		const headers = new Headers({ Authorization: `Bearer ${c.key}`, "Content-Type": "application/json" });
		headers.set("Idempotency-Key", key);
		await failure(await call("/api/ingest", { method: "POST", headers, body: '{"a":1}' }), 400, "INVALID_PAYLOAD");
	});

	it("refuses unknown content encodings and broken gzip", async () => {
		const c = await connectorWithKey();
		await failure(await ingest(c.key, '{"a":1}', { "Content-Encoding": "br" }), 400, "INVALID_PAYLOAD");
		await failure(
			await ingest(c.key, new Uint8Array([1, 2, 3, 4, 5, 6]), { "Content-Encoding": "gzip" }),
			400,
			"INVALID_PAYLOAD",
		);
	});
});

describe("POST /api/ingest: bodies as clients send them", () => {
	it("accepts NDJSON, one object per line, blank lines ignored", async () => {
		const c = await connectorWithKey({ item_key: "id" });
		const response = await ingest(c.key, '{"id":"a","v":1}\n\n{"id":"b","v":2}\r\n', {
			"Content-Type": "application/x-ndjson",
		});
		expect((await data<{ items_received: number }>(response, 202)).items_received).toBe(2);
	});

	it("accepts gzip bodies and counts the limit on decoded bytes", async () => {
		const c = await connectorWithKey();
		const response = await ingest(c.key, await gzip(JSON.stringify([{ a: 1 }, { a: 2 }])), { "Content-Encoding": "gzip" });
		expect((await data<{ items_received: number }>(response, 202)).items_received).toBe(2);
	});

	it("refuses a gzip bomb after 1 MB of output with 413", async () => {
		const c = await connectorWithKey();
		const bomb = await gzip(new Uint8Array(16 * 1024 * 1024).fill(0x20));
		expect(bomb.byteLength).toBeLessThan(100_000);
		await failure(await ingest(c.key, bomb, { "Content-Encoding": "gzip" }), 413, "PAYLOAD_TOO_LARGE");
	});
});

describe("POST /api/ingest: 413 PAYLOAD_TOO_LARGE", () => {
	it("refuses a declared Content-Length over 1 MB, and logs the refusal against the connector", async () => {
		const c = await connectorWithKey();
		const body = JSON.stringify({ pad: "x".repeat(1_048_576) });
		const refused = await failure(await ingest(c.key, body), 413, "PAYLOAD_TOO_LARGE");
		const [entry] = await eventually(async () => {
			const found = await logs(c.id);
			expect(found).toHaveLength(1);
			return found;
		});
		expect(entry).toMatchObject({ request_id: refused.request_id, status: "rejected" });
		expect(entry?.error).toContain("PAYLOAD_TOO_LARGE");
	});

	/** A JSON string of about 4 MB, streamed in 64 KiB chunks; `sent()` says how much was pulled. */
	function fourMegabytes(): { stream: ReadableStream<Uint8Array>; sent: () => number } {
		const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
		let sent = 0;
		const stream = new ReadableStream<Uint8Array>({
			pull(controller) {
				if (sent === 0) controller.enqueue(new TextEncoder().encode('{"pad":"'));
				if (sent > 4 * 1024 * 1024) controller.close();
				else controller.enqueue(chunk);
				sent += chunk.byteLength;
			},
		});
		return { stream, sent: () => sent };
	}

	it("refuses a streamed body without Content-Length once it passes 1 MB", async () => {
		const c = await connectorWithKey();
		await failure(await ingest(c.key, fourMegabytes().stream), 413, "PAYLOAD_TOO_LARGE");
	});

	it("does not trust a small Content-Length on a streamed body: past 1 MB it is refused", async () => {
		const c = await connectorWithKey();
		const body = fourMegabytes();
		await failure(await ingest(c.key, body.stream, { "Content-Length": "20" }), 413, "PAYLOAD_TOO_LARGE");
		// Reading stopped at the limit, not at the end of the body.
		expect(body.sent()).toBeLessThan(2 * 1024 * 1024);
	});

	it("accepts exactly 1,048,576 bytes", async () => {
		const c = await connectorWithKey();
		const frame = '{"pad":""}';
		const body = `{"pad":"${"x".repeat(1_048_576 - frame.length)}"}`;
		expect(new TextEncoder().encode(body).byteLength).toBe(1_048_576);
		expect((await ingest(c.key, body)).status).toBe(202);
	});
});

describe("POST /api/ingest/:stream", () => {
	it("accepts the key's own stream and answers 404 STREAM_NOT_FOUND for another", async () => {
		const c = await connectorWithKey();
		expect((await ingest(c.key, { a: 1 }, {}, `/api/ingest/${c.stream}`)).status).toBe(202);
		const wrong = await ingest(c.key, { a: 1 }, {}, "/api/ingest/someone-else");
		expect(wrong.headers.get("RateLimit-Limit")).not.toBeNull();
		await failure(wrong, 404, "STREAM_NOT_FOUND");
		const entries = await eventually(async () => {
			const found = await logs(c.id, "?status=rejected");
			expect(found).toHaveLength(1);
			return found;
		});
		expect(entries[0]?.error).toContain("STREAM_NOT_FOUND");
	});
});

describe("every response", () => {
	it("carries X-Request-Id and RateLimit headers, errors included", async () => {
		const c = await connectorWithKey();
		for (const response of [await ingest(c.key, { a: 1 }), await ingest(c.key, "{")]) {
			expect(response.headers.get("X-Request-Id")).toMatch(/^req_/);
			expect(response.headers.get("RateLimit-Limit")).toBe(env.DEFAULT_RATE_LIMIT_REQUESTS);
			expect(Number(response.headers.get("RateLimit-Remaining"))).toBeGreaterThanOrEqual(0);
			expect(Number(response.headers.get("RateLimit-Reset"))).toBeGreaterThanOrEqual(0);
		}
	});
});
