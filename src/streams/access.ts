import { isAdmin } from "../auth/admin-auth";
import { bearerToken } from "../auth/bearer";
import { rendererTokens } from "../auth/renderer-auth";
import { streamNotFound, requireStream } from "../admin/renderer-tokens";
import { unauthorized } from "../http/errors";
import { StreamName } from "./names";

/**
 * Read access to a stream: the admin token, or a renderer token of that stream.
 * 401 without valid credentials, 404 for another stream's token or a stream no
 * connector names.
 */
export async function authorizeStreamRead(env: Env, stream: string, authorization: string | undefined): Promise<void> {
	const admin = await isAdmin(env, authorization);
	if (!admin) {
		const grant = await rendererTokens.resolve(env, bearerToken(authorization));
		if (!grant) throw unauthorized("A renderer token (rk_live_…) or the admin token is required.");
		if (grant.stream !== stream) throw streamNotFound(stream);
	}
	if (!StreamName.safeParse(stream).success) throw streamNotFound(stream);
	await requireStream(env, stream);
}
