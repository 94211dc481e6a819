import { describe, expect, it } from "vitest";
import { queueRequest, toMessages } from "../../src/edge/ingest/enqueue";
import type { OperationPart } from "../../src/model/operation";

const MESSAGE_LIMIT = 128_000;
const encoder = new TextEncoder();
const serialisedBytes = (body: OperationPart) => encoder.encode(JSON.stringify(body)).byteLength;

// The longest envelope fields there are, with characters JSON must escape.
const envelope = {
	v: 1 as const,
	request_id: "req_01jz0k3m4n5p6q7r8s9t0v1w2x",
	connector_id: "con_01jz0k3m4n5p6q7r8s9t0v1w2x",
	stream: "a-stream-name-of-the-full-sixty-four-characters-allowed-01234567",
	received_at: Date.now(),
	items_received: 1,
	mode: "upsert" as const,
	idempotency_key: '"\\'.repeat(127) + "k",
	body_hash: "a".repeat(64),
	item_key: '"\\'.repeat(64),
	format: "json" as const,
};

async function sent(text: string): Promise<OperationPart[]> {
	const bodies: OperationPart[] = [];
	await queueRequest(
		{
			send: async (body) => void bodies.push(body),
			sendBatch: async (batch) => {
				for (const message of batch) bodies.push(message.body);
			},
		},
		envelope,
		text,
	);
	return bodies;
}

describe("queueRequest", () => {
	// The longest text sent whole without counting, every code unit at its most expensive in JSON: \u0001 takes 6 bytes.
	const worst = "\u0001".repeat(Math.floor((100 * 1024) / 6));
	it.each([
		["one item", '{"id":"a","n":1}'],
		["the longest text sent whole, all control characters", worst],
		["one code unit more", `${worst}\u0001`],
	])("%s: queues what toMessages cuts, each message within the limit", async (_, text) => {
		const bodies = await sent(text);
		expect(bodies).toEqual(toMessages(envelope, text).map((message) => message.body));
		for (const body of bodies) expect(serialisedBytes(body)).toBeLessThan(MESSAGE_LIMIT);
	});
});
