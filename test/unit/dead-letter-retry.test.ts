import { describe, expect, it } from "vitest";
import {
	DEAD_LETTER_MAX_RETRIES,
	deadLetterRetryDelaySeconds,
	deadLetterRetryWindowSeconds,
	resendContentType,
	sendsAnew,
} from "../../src/services/queue/dead-letter-retry";
import type { OperationPart } from "../../src/model/operation";
import { deadLetterChunks } from "../../src/storage/dead-letters";

const message = (body: string, part = 0): OperationPart => ({
	v: 1,
	request_id: `req_${"0".repeat(26)}`,
	connector_id: "con_test",
	stream: "sales",
	received_at: 1_700_000_000_000,
	items_received: 1,
	mode: "upsert",
	idempotency_key: null,
	body_hash: null,
	item_key: null,
	format: "json",
	part,
	parts: 100,
	body,
});

describe("dead-letter retries", () => {
	it("back off exponentially from 30 s to a cap of 5 minutes", () => {
		expect([1, 2, 3, 4, 5, 6, 50, 100, 1000].map(deadLetterRetryDelaySeconds)).toEqual([30, 60, 120, 240, 300, 300, 300, 300, 300]);
	});

	it("outlast a D1 outage of 30 minutes (by far) before a message is sent anew, within the Queues limits", () => {
		// Queues allow at most 100 retries and a delay of at most 12 h.
		expect(DEAD_LETTER_MAX_RETRIES).toBeLessThanOrEqual(100);
		expect(deadLetterRetryDelaySeconds(DEAD_LETTER_MAX_RETRIES)).toBeLessThanOrEqual(43_200);
		// 30 + 60 + 120 + 240, then 95 waits of 300 s: the 100th delivery sends the message anew.
		expect(deadLetterRetryWindowSeconds()).toBe(28_950);
		expect(deadLetterRetryWindowSeconds()).toBeGreaterThanOrEqual(30 * 60);
		// The old consumer's 3 retries, even with these delays, would not have.
		expect(deadLetterRetryWindowSeconds(3)).toBeLessThan(30 * 60);
	});

	it("send a message anew on its last two deliveries, and only then", () => {
		expect(sendsAnew(DEAD_LETTER_MAX_RETRIES - 1)).toBe(false);
		expect(sendsAnew(DEAD_LETTER_MAX_RETRIES)).toBe(true);
		expect(sendsAnew(DEAD_LETTER_MAX_RETRIES + 1)).toBe(true);
	});

	it("send a message anew in whichever encoding is smaller for its body", () => {
		// JSON text: every quote costs an escape in JSON, one byte in V8's Latin-1 strings.
		expect(resendContentType(message(JSON.stringify([{ id: "a", v: "x" }])))).toBe("v8");
		// Mostly ASCII with one character above U+00FF: V8 stores all of it in 2 bytes a character.
		expect(resendContentType(message(`${"a".repeat(1000)}日`))).toBe("json");
	});
});

describe("deadLetterChunks", () => {
	it("cuts messages in order into D1 batches bounded by bytes and count, a large message alone", () => {
		const small = Array.from({ length: 5 }, (_, i) => message("s", i));
		expect(deadLetterChunks(small, 1_000_000, 2).map((chunk) => chunk.map((m) => m.part))).toEqual([[0, 1], [2, 3], [4]]);
		const big = message("b".repeat(2000), 9);
		const size = JSON.stringify(big).length;
		expect(deadLetterChunks([small[0] as OperationPart, big, small[1] as OperationPart], size, 50).map((chunk) => chunk.map((m) => m.part))).toEqual([
			[0],
			[9],
			[1],
		]);
		expect(deadLetterChunks([])).toEqual([]);
	});
});
