import { describe, expect, it } from "vitest";
import type { ItemText } from "../../src/stream/frames";
import type { StreamRead } from "../../src/stream/item-reader";
import { readMembersStream, writeReadMembers } from "../../src/stream/read-body";
import { RESYNC_INTERVAL_MS, resyncAllowed } from "../../src/stream/renderers";

const text = (seq: number) => JSON.stringify({ key: `k${seq}`, value: { pad: "x".repeat(200) }, seq, updated_at: "2026-01-01T00:00:00.000Z" });

/** A read of `count` items that counts how many were pulled from it. */
function countingRead(count: number, nextAfter: number | null = null): { read: StreamRead; pulled: () => number } {
	let pulled = 0;
	function* items(): Generator<ItemText> {
		for (let seq = 1; seq <= count; seq++) {
			pulled++;
			yield { text: text(seq), seq };
		}
	}
	return { read: { seq: count, resumed: false, items: items(), removed: [], nextAfter: () => nextAfter }, pulled: () => pulled };
}

describe("writeReadMembers", () => {
	it("writes the members of the contract's read, in order, whatever the chunking", () => {
		const { read } = countingRead(500, 500);
		const chunks: string[] = [];
		writeReadMembers(read, (chunk) => chunks.push(chunk), 4096);
		expect(chunks.length).toBeGreaterThan(20);
		const body = JSON.parse(`{${chunks.join("")}}`);
		expect(Object.keys(body)).toEqual(["seq", "resumed", "items", "removed", "next_after"]);
		expect(body).toMatchObject({ seq: 500, resumed: false, removed: [], next_after: 500 });
		expect(body.items.map((item: { seq: number }) => item.seq)).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
	});

	it("writes an empty read", () => {
		const chunks: string[] = [];
		writeReadMembers(countingRead(0).read, (chunk) => chunks.push(chunk));
		expect(JSON.parse(`{${chunks.join("")}}`)).toEqual({ seq: 0, resumed: false, items: [], removed: [], next_after: null });
	});

	it("hands each chunk on before reading past it: never more than one chunk of items held", () => {
		const source = countingRead(20_000);
		let handed = 0;
		writeReadMembers(source.read, (chunk) => {
			handed += (chunk.match(/"key":/g) ?? []).length;
			// Pulled but not yet handed on: at most the one item that did not fit the chunk.
			expect(source.pulled() - handed).toBeLessThanOrEqual(1);
		});
		expect(handed).toBe(20_000);
	});

	it("streams the same bytes as a ReadableStream", async () => {
		const body = await new Response(readMembersStream(countingRead(3).read)).text();
		expect(JSON.parse(`{${body}}`).items.map((item: { seq: number }) => item.seq)).toEqual([1, 2, 3]);
	});
});

describe("resyncAllowed", () => {
	it("answers the first resync, then one per interval", () => {
		expect(resyncAllowed(null, 5)).toBe(true);
		expect(resyncAllowed(1000, 1000 + RESYNC_INTERVAL_MS - 1)).toBe(false);
		expect(resyncAllowed(1000, 1000 + RESYNC_INTERVAL_MS)).toBe(true);
	});
});
