import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import { rendererTokens } from "../../services/auth/renderer-auth";
import { SECRET_PREFIX, displayPrefix, generateSecret, sha256Hex } from "../../services/auth/secrets";
import { issueTicket } from "../../services/auth/tickets";
import type { AppEnv } from "../http/context";
import { envelope, errorResponses, jsonResponse, ok } from "../http/envelope";
import { ApiError } from "../../model/errors";
import { validationHook } from "../http/validation";
import { requireStream } from "../stream-routes/existence";
import { insertRendererToken, listRendererTokens, revokeRendererToken } from "../../storage/renderer-tokens";
import { streamStub } from "../../stream/stub";
import { CreatedRendererToken, RendererTokenInfo, StreamParams, Ticket, TokenParams } from "./schemas";

export const rendererTokenRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

const security = [{ AdminToken: [] }];
const tags = ["Streams"];

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
		// Sockets the token opened close now, and the stream refuses sockets opened with it later: other isolates
		// may trust the token from their auth cache for up to AUTH_CACHE_TTL_SECONDS. A failure here answers 500, and
		// the DELETE can be retried (revoking twice is harmless).
		await streamStub(c.env, stream).closeRenderers(`token:${token_id}`);
		return c.json(ok(revoked.token), 200);
	},
);

rendererTokenRoutes.openapi(
	createRoute({
		method: "post",
		path: "/{stream}/tickets",
		tags,
		security,
		summary: "Create a 5-minute ticket that opens the stream's WebSocket",
		description: "Lets the dashboard open sockets without putting the admin token in a URL. Tickets are signed, not stored.",
		request: { params: StreamParams },
		responses: { 201: jsonResponse(envelope(Ticket), "The ticket."), ...errorResponses(401, 404) },
	}),
	async (c) => {
		const { stream } = c.req.valid("param");
		await requireStream(c.env, stream);
		const ticket = await issueTicket(c.env.ADMIN_TOKEN, stream);
		c.header("Cache-Control", "no-store");
		return c.json(ok({ token: ticket.token, expires_at: new Date(ticket.expiresAt).toISOString() }), 201);
	},
);
