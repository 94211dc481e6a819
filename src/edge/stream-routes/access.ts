import { isAdmin } from "../../services/auth/admin-auth";
import { bearerToken } from "../../services/auth/bearer";
import { rendererTokens } from "../../services/auth/renderer-auth";
import { SECRET_PREFIX } from "../../services/auth/secrets";
import { verifyTicket } from "../../services/auth/tickets";
import { requireStream, streamNotFound } from "./existence";
import { unauthorized } from "../../model/errors";
import { StreamName } from "../../model/stream-name";

/** Who may read a stream: the admin, a renderer token (by id) or a ticket (until it expires). */
export type ReadGrant = { kind: "admin" } | { kind: "token"; tokenId: string } | { kind: "ticket"; expiresAt: number };

/** The tag a socket carries for its grant, so revoking a token can close the sockets it opened. */
export function grantTag(grant: ReadGrant): string {
	return grant.kind === "token" ? `token:${grant.tokenId}` : grant.kind;
}

/** Resolves a renderer token or ticket to the stream it reads; 401 when it is neither. */
async function rendererGrant(env: Env, token: string | null): Promise<{ grant: ReadGrant; stream: string }> {
	if (token?.startsWith(SECRET_PREFIX.ticket)) {
		const ticket = await verifyTicket(env.ADMIN_TOKEN, token);
		if (ticket) return { grant: { kind: "ticket", expiresAt: ticket.expiresAt }, stream: ticket.stream };
	} else {
		const found = await rendererTokens.resolve(env, token);
		if (found) return { grant: { kind: "token", tokenId: found.tokenId }, stream: found.stream };
	}
	throw unauthorized("A valid renderer token (rk_live_…) or ticket (rk_tmp_…) is required.");
}

/**
 * Read access to a stream, decided in the Worker before the stream's object is
 * reached: 401 without valid credentials, 404 for another stream's token or a
 * stream no connector names. `allowAdmin` is false for URLs: the admin token never
 * travels in a query string.
 */
export async function authorizeStreamRead(
	env: Env,
	stream: string,
	credentials: { authorization?: string; queryToken?: string | null },
): Promise<ReadGrant> {
	let grant: ReadGrant;
	if (credentials.authorization !== undefined && (await isAdmin(env, credentials.authorization))) {
		grant = { kind: "admin" };
	} else {
		const token = credentials.queryToken ?? bearerToken(credentials.authorization);
		const resolved = await rendererGrant(env, token);
		if (resolved.stream !== stream) throw streamNotFound(stream);
		grant = resolved.grant;
	}
	if (!StreamName.safeParse(stream).success) throw streamNotFound(stream);
	await requireStream(env, stream);
	return grant;
}
