import { z } from "zod";
import { StreamName } from "../../model/stream-name";
import { SECRET_PREFIX } from "./secrets";

/** How long a ticket can open sockets. */
export const TICKET_TTL_MS = 5 * 60 * 1000;

const encoder = new TextEncoder();
const TICKET = new RegExp(`^${SECRET_PREFIX.ticket}([A-Za-z0-9_-]{1,400})\\.([A-Za-z0-9_-]{43})$`);
const Payload = z.object({ s: StreamName, e: z.number().int(), n: z.string() });

function toBase64url(bytes: Uint8Array): string {
	let binary = "";
	for (const byte of bytes) binary += String.fromCharCode(byte);
	return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function fromBase64url(text: string): Uint8Array {
	const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
	return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

const keys = new Map<string, Promise<CryptoKey>>();

/** The HMAC key tickets are signed with, derived from the admin token: rotating it voids every ticket. */
function signingKey(adminToken: string): Promise<CryptoKey> {
	let key = keys.get(adminToken);
	if (!key) {
		key = crypto.subtle
			.digest("SHA-256", encoder.encode(`datapool-ticket-v1:${adminToken}`))
			.then((raw) => crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]));
		keys.set(adminToken, key);
	}
	return key;
}

/**
 * A ticket: a renderer token (`rk_tmp_…`) for one stream that opens sockets for
 * five minutes. It is signed, not stored: nothing to hash at rest, nothing to clean up.
 */
export async function issueTicket(adminToken: string, stream: string, now = Date.now()): Promise<{ token: string; expiresAt: number }> {
	const expiresAt = now + TICKET_TTL_MS;
	const nonce = toBase64url(crypto.getRandomValues(new Uint8Array(9)));
	const payload = toBase64url(encoder.encode(JSON.stringify({ s: stream, e: expiresAt, n: nonce })));
	const signature = new Uint8Array(await crypto.subtle.sign("HMAC", await signingKey(adminToken), encoder.encode(payload)));
	return { token: `${SECRET_PREFIX.ticket}${payload}.${toBase64url(signature)}`, expiresAt };
}

/** The stream a ticket opens and when it expires, or null when it is malformed, forged or expired. */
export async function verifyTicket(
	adminToken: string,
	ticket: string,
	now = Date.now(),
): Promise<{ stream: string; expiresAt: number } | null> {
	const match = TICKET.exec(ticket);
	if (!match || !adminToken) return null;
	const [, payload = "", signature = ""] = match;
	// HMAC verification compares in constant time.
	const valid = await crypto.subtle.verify(
		"HMAC",
		await signingKey(adminToken),
		fromBase64url(signature),
		encoder.encode(payload),
	);
	if (!valid) return null;
	try {
		const parsed = Payload.safeParse(JSON.parse(new TextDecoder().decode(fromBase64url(payload))));
		return parsed.success && parsed.data.e > now ? { stream: parsed.data.s, expiresAt: parsed.data.e } : null;
	} catch {
		return null;
	}
}
