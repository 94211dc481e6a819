/**
 * Bytes a queue message may spend on body text. Queues count a message as its
 * serialised size (128,000 bytes at most); UTF-8 length bounds that from above
 * for any string, and the rest is headroom for the envelope fields.
 */
export const MESSAGE_BODY_BUDGET_BYTES = 100 * 1024;
/** sendBatch limits: 100 messages, 256 KB in all (kept a little under). */
export const SEND_BATCH_MAX_MESSAGES = 100;
export const SEND_BATCH_MAX_BYTES = 240 * 1024;

/** A piece of text and its UTF-8 size. */
export interface TextPiece {
	text: string;
	bytes: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Splits text into pieces of at most `budgetBytes` UTF-8 bytes. Cuts fall on code
 * point boundaries (never inside a multi-byte sequence or a surrogate pair), so
 * the pieces joined in order are exactly the text (for well-formed text, which a
 * strictly decoded body always is).
 */
export function splitText(text: string, budgetBytes = MESSAGE_BODY_BUDGET_BYTES): TextPiece[] {
	// A UTF-8 code point takes up to 4 bytes: a smaller budget could not hold one.
	const budget = Math.max(4, budgetBytes);
	const bytes = encoder.encode(text);
	if (bytes.byteLength <= budget) return [{ text, bytes: bytes.byteLength }];
	const pieces: TextPiece[] = [];
	let start = 0;
	while (start < bytes.byteLength) {
		let end = Math.min(start + budget, bytes.byteLength);
		// Step back over UTF-8 continuation bytes (10xxxxxx) to the start of a code point.
		while (end < bytes.byteLength && end > start + 1 && ((bytes[end] as number) & 0xc0) === 0x80) end--;
		pieces.push({ text: decoder.decode(bytes.subarray(start, end)), bytes: end - start });
		start = end;
	}
	return pieces;
}

/** Groups message sizes into sendBatch calls that respect the count and byte limits; returns index groups. */
export function groupForSendBatch(
	sizes: number[],
	maxMessages = SEND_BATCH_MAX_MESSAGES,
	maxBytes = SEND_BATCH_MAX_BYTES,
): number[][] {
	const groups: number[][] = [];
	let current: number[] = [];
	let bytes = 0;
	sizes.forEach((size, index) => {
		if (current.length > 0 && (current.length >= maxMessages || bytes + size > maxBytes)) {
			groups.push(current);
			current = [];
			bytes = 0;
		}
		current.push(index);
		bytes += size;
	});
	if (current.length > 0) groups.push(current);
	return groups;
}
