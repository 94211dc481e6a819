import { describe, expect, it } from "vitest";
import { queueRequest, toMessages } from "../../src/edge/ingest/enqueue.ts";
import type { OperationPart } from "../../src/model/operation.ts";
import { longestEnvelope } from "../shared/queue-envelope.ts";

// Queues' limits, counted on each message as serialised. With contentType "json" (the default from
// compatibility date 2024-03-18) workerd sends JSON.stringify(body) in UTF-8, and that is what counts.
const MESSAGE_LIMIT = 128_000;
const BATCH_LIMIT = 256_000;
// The contract's body limit, decoded.
const MAX_BODY_BYTES = 1_048_576;
const serialisedBytes = (body: OperationPart) => Buffer.byteLength(JSON.stringify(body), "utf8");

const envelope = longestEnvelope();

const utf8Bytes = (text: string) => Buffer.byteLength(text, "utf8");

/** A JSON array of items whose `text` repeats `sample`, as close to the 1 MB body limit as whole items allow. */
function bodyOf(sample: string, indent?: string): string {
	const items: { id: string; text: string }[] = [];
	let body = "[]";
	for (let i = 0; ; i++) {
		items.push({ id: `item-${i}`, text: sample.repeat(1 + (i % 7)) });
		const next = JSON.stringify(items, null, indent);
		if (utf8Bytes(next) > MAX_BODY_BYTES) return body;
		body = next;
	}
}

const bodies: [string, string][] = [
	["plain ASCII", bodyOf("0123456789 abcdefghij ")],
	["ASCII with one emoji", bodyOf("plain ascii text ".repeat(20)).replace("plain", "pl😀n")],
	["CJK text", bodyOf("日本語のテキスト、中文文本。")],
	["emoji only (surrogate pairs)", bodyOf("🚀😀🎉👍🏽")],
	["Latin-1 accents", bodyOf("Zürich, Genève, São Paulo, Ærø ")],
	["ASCII, accents, CJK and emoji mixed", bodyOf('Ship "fragile" to Zürich 東京 🚀 qty 12; ')],
	["quotes and backslashes, escaped once more in the message", bodyOf('say "hi" \\ ')],
	["nothing but escaped quotes", bodyOf('"'.repeat(64))],
	["pretty-printed with tabs and newlines", bodyOf("x", "\t")],
];

interface Call {
	bodies: OperationPart[];
	contentTypes: (string | undefined)[];
}

/** Queues the body as the ingest route does, recording every call a real queue would get. */
async function queued(text: string): Promise<Call[]> {
	const calls: Call[] = [];
	await queueRequest(
		{
			send: async (body, options) => void calls.push({ bodies: [body], contentTypes: [options.contentType] }),
			sendBatch: async (batch) => {
				const messages = [...batch];
				calls.push({ bodies: messages.map((m) => m.body), contentTypes: messages.map((m) => m.contentType) });
			},
		},
		envelope,
		text,
	);
	return calls;
}

describe("queue messages of a 1 MB body, measured as Queues count them", () => {
	it.each(bodies)("%s: every message and every sendBatch call is within Queues' limits", async (_, text) => {
		expect(utf8Bytes(text)).toBeGreaterThan(MAX_BODY_BYTES - 2_000);
		expect(utf8Bytes(text)).toBeLessThanOrEqual(MAX_BODY_BYTES);
		const calls = await queued(text);
		expect(calls.length).toBeGreaterThan(1);
		for (const call of calls) {
			const sizes = call.bodies.map(serialisedBytes);
			for (const size of sizes) expect(size).toBeLessThan(MESSAGE_LIMIT);
			expect(sizes.reduce((sum, size) => sum + size, 0)).toBeLessThan(BATCH_LIMIT);
			expect(call.bodies.length).toBeLessThanOrEqual(100);
			expect(call.contentTypes.every((type) => type === "json")).toBe(true);
		}
	});

	it.each(bodies)("%s: the pieces rejoin to the exact body, none splitting a surrogate pair", async (_, text) => {
		const messages = (await queued(text)).flatMap((call) => call.bodies).sort((a, b) => a.part - b.part);
		expect(messages.map((message) => message.part)).toEqual(messages.map((_, index) => index));
		expect(messages.every((message) => message.parts === messages.length)).toBe(true);
		for (const message of messages) expect(message.body.isWellFormed()).toBe(true);
		expect(messages.map((message) => message.body).join("")).toBe(text);
	});

	it.each(bodies)("%s: each message's size as budgeted is its serialised size", (_, text) => {
		for (const message of toMessages(envelope, text)) expect(message.bytes).toBe(serialisedBytes(message.body));
	});
});
