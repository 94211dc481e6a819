/** Bytes a queue message may spend on body text; the rest of its 128 KB is headroom for the envelope. */
export const MESSAGE_BODY_BUDGET_BYTES = 100 * 1024;
/** sendBatch limits: 100 messages, 256 KB in all (kept a little under). */
export const SEND_BATCH_MAX_MESSAGES = 100;
export const SEND_BATCH_MAX_BYTES = 240 * 1024;

const BEYOND_LATIN1 = /[^\u0000-\u00ff]/;

/**
 * Splits text into pieces that each serialise to at most `budgetBytes` in a queue
 * message. Queues serialise strings with V8's serializer: one byte per character
 * when every character fits Latin-1, else two; a piece never ends between the two
 * halves of a surrogate pair.
 */
export function splitText(text: string, budgetBytes = MESSAGE_BODY_BUDGET_BYTES): string[] {
	const bytesPerChar = BEYOND_LATIN1.test(text) ? 2 : 1;
	const maxChars = Math.max(2, Math.floor(budgetBytes / bytesPerChar));
	if (text.length <= maxChars) return [text];
	const pieces: string[] = [];
	let start = 0;
	while (start < text.length) {
		let end = Math.min(start + maxChars, text.length);
		const last = text.charCodeAt(end - 1);
		if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
		pieces.push(text.slice(start, end));
		start = end;
	}
	return pieces;
}

/** The worst-case serialised size of a string in a queue message. */
export function serialisedBytes(text: string): number {
	return BEYOND_LATIN1.test(text) ? text.length * 2 : text.length;
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
