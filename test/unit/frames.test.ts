import { describe, expect, it } from "vitest";
import { ClientFrame, type ItemText, changesFrames, errorFrame, snapshotFrames } from "../../src/stream/frames";

const item = (seq: number, pad = 0) => ({ text: JSON.stringify({ key: `k${seq}`, value: { pad: "x".repeat(pad) }, seq }), seq });

describe("snapshotFrames", () => {
	it("sends a small snapshot as one complete frame in the contract's shape", () => {
		const frames = [...snapshotFrames(7, [item(1), item(7)])];
		expect(frames.map((frame) => JSON.parse(frame))).toEqual([
			{ type: "snapshot", seq: 7, complete: true, items: [JSON.parse(item(1).text), JSON.parse(item(7).text)] },
		]);
	});

	it("sends an empty stream as one complete frame with no items", () => {
		expect([...snapshotFrames(0, [])].map((frame) => JSON.parse(frame))).toEqual([{ type: "snapshot", seq: 0, complete: true, items: [] }]);
	});

	it("splits by budget: every frame but the last incomplete, items in order, none lost", () => {
		const items = Array.from({ length: 50 }, (_, i) => item(i + 1, 100));
		const frames = [...snapshotFrames(50, items, 1000)].map((frame) => JSON.parse(frame));
		expect(frames.length).toBeGreaterThan(5);
		expect(frames.slice(0, -1).every((frame) => frame.complete === false)).toBe(true);
		expect(frames.at(-1).complete).toBe(true);
		expect(frames.flatMap((frame) => frame.items.map((i: { seq: number }) => i.seq))).toEqual(items.map((i) => i.seq));
	});

	it("puts an item bigger than the budget in a frame of its own", () => {
		const frames = [...snapshotFrames(3, [item(1), item(2, 5000), item(3)], 1000)].map((frame) => JSON.parse(frame));
		expect(frames.map((frame) => frame.items.map((i: { seq: number }) => i.seq))).toEqual([[1], [2], [3]]);
	});
});

describe("changesFrames", () => {
	it("covers the whole range in one frame when small, with removed keys", () => {
		const [frame] = [...changesFrames({ from: 5, to: 9 }, [item(6), item(9)], ["gone"])].map((text) => JSON.parse(text));
		expect(frame).toMatchObject({ type: "changes", from: 5, to: 9, complete: true, removed: ["gone"] });
		expect(frame.items.map((i: { seq: number }) => i.seq)).toEqual([6, 9]);
	});

	it("splits into contiguous sub-ranges that together cover from..to", () => {
		const items = Array.from({ length: 30 }, (_, i) => item(101 + i * 2, 100));
		const frames = [...changesFrames({ from: 100, to: 165 }, items, ["r"], 800)].map((text) => JSON.parse(text));
		expect(frames.length).toBeGreaterThan(2);
		expect(frames[0].from).toBe(100);
		expect(frames.at(-1).to).toBe(165);
		for (let i = 1; i < frames.length; i++) expect(frames[i].from).toBe(frames[i - 1].to + 1);
		expect(frames.slice(0, -1).every((frame) => frame.complete === false && frame.removed === undefined)).toBe(true);
		expect(frames.at(-1)).toMatchObject({ complete: true, removed: ["r"] });
		expect(frames.flatMap((frame) => frame.items.map((i: { seq: number }) => i.seq))).toEqual(items.map((i) => i.seq));
	});
});

/** A source of `count` items that counts how many were pulled from it. */
function countingSource(count: number, pad: number): { items: Iterable<ItemText>; pulled: () => number } {
	let pulled = 0;
	function* items(): Generator<ItemText> {
		for (let seq = 1; seq <= count; seq++) {
			pulled++;
			yield item(seq, pad);
		}
	}
	return { items: items(), pulled: () => pulled };
}

describe("frames built lazily", () => {
	it("pull a snapshot's items only as far as the frame being built, plus the item that ends it", () => {
		const source = countingSource(20_000, 300);
		const sent: number[] = [];
		let frames = 0;
		for (const frame of snapshotFrames(20_000, source.items)) {
			const items = (JSON.parse(frame) as { items: unknown[] }).items.length;
			sent.push(items);
			frames++;
			// Everything pulled is in the frames sent so far, but for the one item that did not fit the last.
			const inFrames = sent.reduce((a, b) => a + b, 0);
			expect(source.pulled() - inFrames).toBeLessThanOrEqual(1);
		}
		expect(frames).toBeGreaterThan(20);
		expect(sent.reduce((a, b) => a + b, 0)).toBe(20_000);
	});

	it("do the same for changes frames", () => {
		const source = countingSource(5_000, 300);
		let inFrames = 0;
		for (const frame of changesFrames({ from: 1, to: 5_000 }, source.items, [])) {
			inFrames += (JSON.parse(frame) as { items: unknown[] }).items.length;
			expect(source.pulled() - inFrames).toBeLessThanOrEqual(1);
		}
		expect(inFrames).toBe(5_000);
	});
});

describe("ClientFrame", () => {
	it("accepts resync and ping frames and refuses the rest", () => {
		expect(ClientFrame.safeParse({ type: "resync", since: 3 }).success).toBe(true);
		expect(ClientFrame.safeParse({ type: "resync" }).success).toBe(true);
		expect(ClientFrame.safeParse({ type: "ping" }).success).toBe(true);
		for (const frame of [{ type: "resync", since: -1 }, { type: "resync", since: "3" }, { type: "subscribe" }, {}, null, "ping"]) {
			expect(ClientFrame.safeParse(frame).success, JSON.stringify(frame)).toBe(false);
		}
	});

	it("builds error frames as JSON", () => {
		expect(JSON.parse(errorFrame("UNKNOWN_FRAME", "nope"))).toEqual({ type: "error", code: "UNKNOWN_FRAME", message: "nope" });
	});
});
