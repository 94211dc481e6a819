import { describe, expect, it } from "vitest";
import { queueRequest, toMessages } from "../../src/edge/ingest/enqueue";
import type { OperationPart } from "../../src/model/operation";
import { longestEnvelope } from "../shared/queue-envelope";

const MESSAGE_LIMIT = 128_000;
const encoder = new TextEncoder();
const serialisedBytes = (body: OperationPart) => encoder.encode(JSON.stringify(body)).byteLength;

const envelope = longestEnvelope();

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
