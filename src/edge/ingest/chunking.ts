/**
 * Bytes a queue message may spend on body text. Queues count a message as its
 * serialised size (128,000 bytes at most); enqueue sends JSON, so that size is the
 * UTF-8 length of the message's JSON text, escapes included. The rest is headroom
 * for the envelope fields.
 */
export const MESSAGE_BODY_BUDGET_BYTES = 100 * 1024;
/** sendBatch limits: 100 messages, 256 KB of serialised messages in all (kept a little under). */
export const SEND_BATCH_MAX_MESSAGES = 100;
export const SEND_BATCH_MAX_BYTES = 240 * 1024;

/** A piece of text and the bytes it takes inside a JSON string. */
export interface TextPiece {
	text: string;
	bytes: number;
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/**
 * UTF-8 bytes JSON.stringify writes for the code point at `i` inside a string: 2 for
 * `"`, `\` and the short control escapes, 6 for other control characters and lone
 * surrogates (`\uXXXX`), else its UTF-8 length. Only a surrogate pair takes 4, so 4
 * also says the code point is two code units long.
 */
function jsonBytesAt(text: string, i: number): number {
	const c = text.charCodeAt(i);
	if (c === 0x22 || c === 0x5c) return 2;
	if (c < 0x20) return c === 8 || c === 9 || c === 10 || c === 12 || c === 13 ? 2 : 6;
	if (c < 0x80) return 1;
	if (c < 0x800) return 2;
	if (isHighSurrogate(c)) return i + 1 < text.length && isLowSurrogate(text.charCodeAt(i + 1)) ? 4 : 6;
	if (isLowSurrogate(c)) return 6;
	return 3;
}

const unitsOf = (bytes: number) => (bytes === 4 ? 2 : 1);

/** Bytes `text` takes inside a JSON string in UTF-8: the length of JSON.stringify(text) less its two quotes. */
export function jsonStringBytes(text: string): number {
	let bytes = 0;
	for (let i = 0; i < text.length; ) {
		const point = jsonBytesAt(text, i);
		bytes += point;
		i += unitsOf(point);
	}
	return bytes;
}

/**
 * Splits text into pieces of at most `budgetBytes` bytes each as JSON string content
 * (a budget too small for one code point still gives each piece one). Cuts fall on
 * code point boundaries, never between the halves of a surrogate pair, so the pieces
 * joined in order are exactly the text and each is well-formed if the text is.
 */
export function splitText(text: string, budgetBytes = MESSAGE_BODY_BUDGET_BYTES): TextPiece[] {
	const pieces: TextPiece[] = [];
	let start = 0;
	let bytes = 0;
	for (let i = 0; i < text.length; ) {
		const point = jsonBytesAt(text, i);
		if (i > start && bytes + point > budgetBytes) {
			pieces.push({ text: text.slice(start, i), bytes });
			start = i;
			bytes = 0;
		}
		bytes += point;
		i += unitsOf(point);
	}
	pieces.push({ text: text.slice(start), bytes });
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
