import { z } from "zod";

/** Frames stay well under the 1 MiB WebSocket message limit (an item bigger than this travels alone). */
export const FRAME_BUDGET_CHARS = 128 * 1024;

/** Frames a client may send; anything else is answered with an error frame. */
export const ClientFrame = z.discriminatedUnion("type", [
	z.object({ type: z.literal("resync"), since: z.number().int().min(0).optional() }),
	z.object({ type: z.literal("ping") }),
]);
export type ClientFrame = z.infer<typeof ClientFrame>;

/** An item as JSON text, with its seq. */
export interface ItemText {
	text: string;
	seq: number;
}

/** A group of item texts that fits the budget, the seq of its last item, and whether it is the last group. */
export interface TextGroup {
	texts: string[];
	lastSeq: number | null;
	last: boolean;
}

/**
 * Splits item texts into groups whose joined length stays within the budget (at
 * least one item per group, one group even for no items). Lazy: it pulls items only
 * as far as the group it is building, plus the one item that tells it the group is
 * full, so a caller that sends each group before asking for the next holds at most
 * one group of a source however large.
 */
export function* packTexts(items: Iterable<ItemText>, budget: number): Generator<TextGroup> {
	let texts: string[] = [];
	let lastSeq: number | null = null;
	let size = 0;
	for (const item of items) {
		if (texts.length > 0 && size + item.text.length + 1 > budget) {
			yield { texts, lastSeq, last: false };
			texts = [];
			size = 0;
		}
		texts.push(item.text);
		lastSeq = item.seq;
		size += item.text.length + 1;
	}
	yield { texts, lastSeq, last: true };
}

/**
 * The snapshot as frames, built one at a time from `items`. All carry the same
 * `seq`; every frame but the last has `"complete": false`, so a client replaces its
 * state only once it has them all.
 */
export function* snapshotFrames(seq: number, items: Iterable<ItemText>, budget = FRAME_BUDGET_CHARS): Generator<string> {
	for (const group of packTexts(items, budget)) {
		yield `{"type":"snapshot","seq":${seq},"complete":${group.last},"items":[${group.texts.join(",")}]}`;
	}
}

/**
 * Changes covering seqs `from..to` as frames, built one at a time from `items`. A
 * large batch is split into frames with contiguous sub-ranges; only the last says
 * `"complete": true` and carries the removed keys, so a client can show a request's
 * items together.
 */
export function* changesFrames(
	range: { from: number; to: number },
	items: Iterable<ItemText>,
	removed: string[],
	budget = FRAME_BUDGET_CHARS,
): Generator<string> {
	let from = range.from;
	for (const group of packTexts(items, budget)) {
		const to = group.last ? range.to : (group.lastSeq ?? range.to);
		const tail = group.last ? `,"removed":${JSON.stringify(removed)}` : "";
		yield `{"type":"changes","from":${from},"to":${to},"complete":${group.last},"items":[${group.texts.join(",")}]${tail}}`;
		from = to + 1;
	}
}

/** An error frame for a client message the object cannot use. */
export function errorFrame(code: string, message: string): string {
	return JSON.stringify({ type: "error", code, message });
}
