const PREFIX = "sdk1_";

/**
 * The Idempotency-Key the SDK sends when the caller gives none: SHA-256 over the
 * item key, a NUL byte and the exact body bytes (JSON text never holds a raw NUL,
 * so the two parts cannot run into each other). Every retry of a body sends the
 * same key, so the API applies it at most once; so does the same body sent again
 * within the API's 24 hours, which is what makes re-running an import safe.
 */
export async function deriveIdempotencyKey(body: Uint8Array, itemKey: string | null = null): Promise<string> {
	const head = new TextEncoder().encode(itemKey ?? "");
	const input = new Uint8Array(head.byteLength + 1 + body.byteLength);
	input.set(head, 0);
	input.set(body, head.byteLength + 1);
	// Node 18 exposes Web Crypto as a global only with --experimental-global-webcrypto.
	const subtle = typeof crypto === "undefined" ? undefined : crypto.subtle;
	if (!subtle) throw new TypeError("crypto.subtle is missing: pass idempotencyKey, or on Node 18 run with --experimental-global-webcrypto.");
	const digest = new Uint8Array(await subtle.digest("SHA-256", input));
	let hex = "";
	for (const byte of digest) hex += byte.toString(16).padStart(2, "0");
	return PREFIX + hex;
}
