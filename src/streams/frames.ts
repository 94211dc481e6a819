import { z } from "zod";

/** Frames stay well under the 1 MiB WebSocket message limit (an item bigger than this travels alone). */
export const FRAME_BUDGET_CHARS = 128 * 1024;

/** Frames a client may send; anything else is answered with an error frame. */
export const ClientFrame = z.discriminatedUnion("type", [
	z.object({ type: z.literal("resync"), since: z.number().int().min(0).optional() }),
	z.object({ type: z.literal("ping") }),
]);
export type ClientFrame = z.infer<typeof ClientFrame>;

/** Splits item texts into groups whose joined length stays within the budget (at least one item per group). */
function pack(items: string[], budget: number): string[][] {
	const groups: string[][] = [];
	let current: string[] = [];
	let size = 0;
	for (const item of items) {
		if (current.length > 0 && size + item.length + 1 > budget) {
			groups.push(current);
			current = [];
			size = 0;
		}
		current.push(item);
		size += item.length + 1;
	}
	groups.push(current);
	return groups;
}

/**
 * The snapshot as frames. All carry the same `seq`; every frame but the last has
 * `"complete": false`, so a client replaces its state only once it has them all.
 */
export function snapshotFrames(seq: number, items: { text: string }[], budget = FRAME_BUDGET_CHARS): string[] {
	const groups = pack(
		items.map((item) => item.text),
		budget,
	);
	return groups.map(
		(group, index) =>
			`{"type":"snapshot","seq":${seq},"complete":${index === groups.length - 1},"items":[${group.join(",")}]}`,
	);
}

/**
 * Changes covering seqs `from..to` as frames. A large batch is split into frames
 * with contiguous sub-ranges; only the last says `"complete": true` and carries
 * the removed keys, so a client can show a request's items together.
 */
export function changesFrames(
	range: { from: number; to: number },
	items: { text: string; seq: number }[],
	removed: string[],
	budget = FRAME_BUDGET_CHARS,
): string[] {
	const groups = pack(
		items.map((item) => item.text),
		budget,
	);
	const frames: string[] = [];
	let from = range.from;
	let offset = 0;
	groups.forEach((group, index) => {
		const last = index === groups.length - 1;
		offset += group.length;
		const to = last ? range.to : (items[offset - 1]?.seq ?? range.to);
		const tail = last ? `,"removed":${JSON.stringify(removed)}` : "";
		frames.push(`{"type":"changes","from":${from},"to":${to},"complete":${last},"items":[${group.join(",")}]${tail}}`);
		from = to + 1;
	});
	return frames;
}

/** An error frame for a client message the object cannot use. */
export function errorFrame(code: string, message: string): string {
	return JSON.stringify({ type: "error", code, message });
}
