const encoder = new TextEncoder();

function base64url(bytes: Uint8Array): string {
	let binary = "";
	for (const byte of bytes) binary += String.fromCharCode(byte);
	return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** Secret kinds and their public prefixes; the prefix tells a leaked secret's kind at a glance. */
export const SECRET_PREFIX = {
	ingestKey: "ik_live_",
	rendererToken: "rk_live_",
	ticket: "rk_tmp_",
} as const;

/** A new secret: its prefix + 32 random bytes, base64url (43 characters, 256 bits). */
export function generateSecret(prefix: string): string {
	return prefix + base64url(crypto.getRandomValues(new Uint8Array(32)));
}

/** The part of a secret that may be stored and shown: its prefix and first 4 random characters. */
export function displayPrefix(secret: string): string {
	// The random part is base64url and may itself contain "_", so the kind prefix is matched, not searched for.
	const kind = Object.values(SECRET_PREFIX).find((prefix) => secret.startsWith(prefix)) ?? "";
	return secret.slice(0, kind.length + 4);
}

/** SHA-256 of a string or bytes, lower-case hex. */
export async function sha256Hex(input: string | Uint8Array): Promise<string> {
	const data = typeof input === "string" ? encoder.encode(input) : input;
	const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
	let hex = "";
	for (const byte of digest) hex += byte.toString(16).padStart(2, "0");
	return hex;
}

/**
 * Compares two secrets in constant time. Both are hashed first, so neither the
 * length nor the first differing byte shows in the timing.
 */
export async function secretsEqual(a: string, b: string): Promise<boolean> {
	const [ha, hb] = await Promise.all([
		crypto.subtle.digest("SHA-256", encoder.encode(a)),
		crypto.subtle.digest("SHA-256", encoder.encode(b)),
	]);
	return crypto.subtle.timingSafeEqual(ha, hb);
}

/** Compares two equal-length hex digests in constant time. */
export function digestsEqual(a: string, b: string): boolean {
	if (a.length !== b.length) return false;
	return crypto.subtle.timingSafeEqual(encoder.encode(a), encoder.encode(b));
}
