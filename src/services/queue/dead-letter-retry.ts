/**
 * The dead-letter consumer's `max_retries` in wrangler.toml, which must equal it: the
 * Queues maximum. A message is delivered at most this many times plus one.
 */
export const DEAD_LETTER_MAX_RETRIES = 100;

/** First and longest wait before a dead letter that could not be kept is delivered again. */
export const DEAD_LETTER_RETRY_MIN_SECONDS = 30;
export const DEAD_LETTER_RETRY_MAX_SECONDS = 300;

/** Wait before the next delivery of a dead letter on its `attempts`-th delivery: 30 s, 60 s, 120 s, 240 s, then 300 s. */
export function deadLetterRetryDelaySeconds(attempts: number): number {
	const doublings = Math.min(Math.max(0, attempts - 1), 16);
	return Math.min(DEAD_LETTER_RETRY_MAX_SECONDS, DEAD_LETTER_RETRY_MIN_SECONDS * 2 ** doublings);
}

/** How long the queue's own retries of one dead letter wait in all, before it is sent anew (`sendsAnew`). */
export function deadLetterRetryWindowSeconds(maxRetries = DEAD_LETTER_MAX_RETRIES): number {
	let total = 0;
	for (let attempts = 1; !sendsAnew(attempts, maxRetries); attempts++) total += deadLetterRetryDelaySeconds(attempts);
	return total;
}

/**
 * Whether a message is sent to the queue anew instead of retried: on its last two
 * deliveries, since a retry of the last deletes it, and a send that fails on the
 * first still has the second.
 */
export function sendsAnew(attempts: number, maxRetries = DEAD_LETTER_MAX_RETRIES): boolean {
	return attempts >= maxRetries;
}

const LATIN1 = /^[\u0000-\u00ff]*$/;

/**
 * The encoding in which a dead letter is sent again: whichever is smaller for its body
 * piece, so a message that fit the 128 KB limit as it came fits again however it was
 * sent. V8 serialisation costs 1 byte a character for a Latin-1 string and 2 for any
 * other; JSON costs the UTF-8 bytes plus the escapes of quotes and control characters.
 */
export function resendContentType(message: { body: string }): "json" | "v8" {
	const v8 = LATIN1.test(message.body) ? message.body.length : 2 * message.body.length;
	const json = new TextEncoder().encode(JSON.stringify(message.body)).byteLength;
	return json <= v8 ? "json" : "v8";
}
