import { FRAME_BUDGET_CHARS, packTexts } from "./frames";
import type { StreamRead } from "./item-reader";

/** How the members of a read reach their reader: each chunk handed on as soon as it is built. */
export type ChunkSink = (text: string) => void;

/**
 * Writes a read as the members of a JSON object, in this order: `"seq"`, `"resumed"`,
 * `"items"`, `"removed"`, `"next_after"` (no braces: the caller wraps them). Items go
 * out in chunks of about `budget` characters, each handed to `sink` before the next
 * is read, so only one chunk of the stream is held here at a time.
 */
export function writeReadMembers(read: StreamRead, sink: ChunkSink, budget = FRAME_BUDGET_CHARS): void {
	sink(`"seq":${read.seq},"resumed":${read.resumed},"items":[`);
	let first = true;
	for (const group of packTexts(read.items, budget)) {
		if (group.texts.length === 0) continue;
		sink(`${first ? "" : ","}${group.texts.join(",")}`);
		first = false;
	}
	sink(`],"removed":${JSON.stringify(read.removed)},"next_after":${read.nextAfter()}`);
}

/**
 * A read as a byte stream of JSON members (see `writeReadMembers`), for the Worker to
 * stream out. The whole read happens now, in this turn, so the body is one consistent
 * snapshot; each chunk is encoded and queued as soon as it is built, which leaves one
 * copy of the body, as bytes, waiting in the stream for its reader.
 */
export function readMembersStream(read: StreamRead): ReadableStream<Uint8Array> {
	const encoder = new TextEncoder();
	return new ReadableStream<Uint8Array>({
		start(controller) {
			writeReadMembers(read, (text) => controller.enqueue(encoder.encode(text)));
			controller.close();
		},
	});
}
