import { newId } from "../model/ids";

/** A renderer token as the API lists it: never the token itself. */
export interface RendererTokenInfo {
	id: string;
	stream: string;
	prefix: string;
	created_at: string;
	revoked_at: string | null;
}

/** Stores a new renderer token by its hash. */
export async function insertRendererToken(
	db: D1Database,
	stream: string,
	tokenHash: string,
	prefix: string,
): Promise<RendererTokenInfo> {
	const info: RendererTokenInfo = {
		id: newId("rtk"),
		stream,
		prefix,
		created_at: new Date().toISOString(),
		revoked_at: null,
	};
	await db
		.prepare("INSERT INTO renderer_tokens (id, stream, token_hash, prefix, created_at) VALUES (?, ?, ?, ?, ?)")
		.bind(info.id, stream, tokenHash, prefix, info.created_at)
		.run();
	return info;
}

/** A stream's renderer tokens, newest first. */
export async function listRendererTokens(db: D1Database, stream: string): Promise<RendererTokenInfo[]> {
	const { results } = await db
		.prepare(
			"SELECT id, stream, prefix, created_at, revoked_at FROM renderer_tokens WHERE stream = ? ORDER BY created_at DESC, id DESC",
		)
		.bind(stream)
		.all<RendererTokenInfo>();
	return results;
}

/** Revokes a stream's token; returns it with its hash (for the auth cache), or null. */
export async function revokeRendererToken(
	db: D1Database,
	stream: string,
	tokenId: string,
): Promise<{ token: RendererTokenInfo; tokenHash: string } | null> {
	const row = await db
		.prepare(
			`UPDATE renderer_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? AND stream = ?
			 RETURNING id, stream, prefix, created_at, revoked_at, token_hash`,
		)
		.bind(new Date().toISOString(), tokenId, stream)
		.first<RendererTokenInfo & { token_hash: string }>();
	if (!row) return null;
	const { token_hash, ...token } = row;
	return { token, tokenHash: token_hash };
}

/** The active tokens among these hashes: one query (the hashes travel as one JSON parameter). */
export async function findActiveRendererTokens(
	db: D1Database,
	tokenHashes: string[],
): Promise<{ tokenId: string; hash: string; stream: string }[]> {
	const { results } = await db
		.prepare(
			"SELECT id, token_hash, stream FROM renderer_tokens WHERE token_hash IN (SELECT value FROM json_each(?)) AND revoked_at IS NULL",
		)
		.bind(JSON.stringify(tokenHashes))
		.all<{ id: string; token_hash: string; stream: string }>();
	return results.map((row) => ({ tokenId: row.id, hash: row.token_hash, stream: row.stream }));
}

/** Deletes every renderer token of a stream, revoked or not; returns their hashes (for the auth cache). */
export async function deleteRendererTokensOf(db: D1Database, stream: string): Promise<string[]> {
	const { results } = await db
		.prepare("DELETE FROM renderer_tokens WHERE stream = ? RETURNING token_hash")
		.bind(stream)
		.all<{ token_hash: string }>();
	return results.map((row) => row.token_hash);
}
