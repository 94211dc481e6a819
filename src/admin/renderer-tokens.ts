import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import { rendererTokens } from "../auth/renderer-auth";
import { SECRET_PREFIX, displayPrefix, generateSecret, sha256Hex } from "../auth/secrets";
import type { AppEnv } from "../http/context";
import { envelope, errorResponses, jsonResponse, ok } from "../http/envelope";
import { ApiError } from "../http/errors";
import { validationHook } from "../http/validation";
import { streamExists } from "../storage/connectors";
import { insertRendererToken, listRendererTokens, revokeRendererToken } from "../storage/renderer-tokens";
import { CreatedRendererToken, RendererTokenInfo, StreamParams, TokenParams } from "./schemas";

export const rendererTokenRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

const security = [{ AdminToken: [] }];
const tags = ["Streams"];

export const streamNotFound = (stream: string) =>
	new ApiError(404, "STREAM_NOT_FOUND", `There is no stream "${stream}"; a stream exists once a connector names it.`);

/** Checks that a stream exists (a connector names it), else 404. */
export async function requireStream(env: Env, stream: string): Promise<void> {
	if (!(await streamExists(env.DB, stream))) throw streamNotFound(stream);
}

rendererTokenRoutes.openapi(
	createRoute({
		method: "post",
		path: "/{stream}/tokens",
		tags,
		security,
		summary: "Create a renderer token for a stream (shown once)",
		request: { params: StreamParams },
		responses: {
			201: jsonResponse(envelope(CreatedRendererToken), "The token. This is the only time it is shown."),
			...errorResponses(401, 404),
		},
	}),
	async (c) => {
		const { stream } = c.req.valid("param");
		await requireStream(c.env, stream);
		const token = generateSecret(SECRET_PREFIX.rendererToken);
		const hash = await sha256Hex(token);
		const info = await insertRendererToken(c.env.DB, stream, hash, displayPrefix(token));
		rendererTokens.forget(hash);
		c.header("Cache-Control", "no-store");
		return c.json(ok({ id: info.id, token, stream, prefix: info.prefix, created_at: info.created_at }), 201);
	},
);

rendererTokenRoutes.openapi(
	createRoute({
		method: "get",
		path: "/{stream}/tokens",
		tags,
		security,
		summary: "List a stream's renderer tokens",
		request: { params: StreamParams },
		responses: { 200: jsonResponse(envelope(z.array(RendererTokenInfo)), "Newest first."), ...errorResponses(401, 404) },
	}),
	async (c) => {
		const { stream } = c.req.valid("param");
		await requireStream(c.env, stream);
		return c.json(ok(await listRendererTokens(c.env.DB, stream)), 200);
	},
);

rendererTokenRoutes.openapi(
	createRoute({
		method: "delete",
		path: "/{stream}/tokens/{token_id}",
		tags,
		security,
		summary: "Revoke a renderer token",
		request: { params: TokenParams },
		responses: { 200: jsonResponse(envelope(RendererTokenInfo), "The revoked token."), ...errorResponses(401, 404) },
	}),
	async (c) => {
		const { stream, token_id } = c.req.valid("param");
		const revoked = await revokeRendererToken(c.env.DB, stream, token_id);
		if (!revoked) throw new ApiError(404, "TOKEN_NOT_FOUND", `Stream "${stream}" has no token ${token_id}.`);
		rendererTokens.forget(revoked.tokenHash);
		return c.json(ok(revoked.token), 200);
	},
);
