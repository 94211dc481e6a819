const PREFIX = "sdk1_";
const RANDOM_BYTES = 16;

/**
 * A fresh Idempotency-Key for one operation: `sdk1_` and 128 random bits in hex.
 *
 * The key names the operation, not its payload: every retry of one `ingest()` call
 * or one batch sends the same key, so the API applies it at most once, but two
 * calls with the same body are two operations and both apply (a value set back to
 * what it was is not taken for a replay). Callers who want a re-run of an import
 * to be a no-op pass deterministic keys of their own, such as source + timestamp.
 */
export function newIdempotencyKey(): string {
	assertRandomSource();
	const bytes = crypto.getRandomValues(new Uint8Array(RANDOM_BYTES));
	let hex = "";
	for (const byte of bytes) hex += byte.toString(16).padStart(2, "0");
	return PREFIX + hex;
}

/** Throws a TypeError that says what to do where the runtime has no crypto.getRandomValues. */
export function assertRandomSource(): void {
	// getRandomValues, unlike randomUUID, exists outside secure contexts in browsers too.
	if (typeof crypto === "undefined" || typeof crypto.getRandomValues !== "function") {
		throw new TypeError(
			"crypto.getRandomValues is missing, so no Idempotency-Key can be made: pass idempotencyKey, or on Node 18 run with --experimental-global-webcrypto.",
		);
	}
}
