import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import { ItemParams, StreamParams, StreamSchemaBody } from "../admin/schemas";
import { getStream } from "../../storage/streams";
import { streamNotFound } from "./existence";
import type { AppEnv } from "../http/context";
import { envelope, errorResponses, jsonResponse, ok } from "../http/envelope";
import { ApiError, invalidPayload } from "../../model/errors";
import { validationHook, zodDetails } from "../http/validation";
import { authorizeStreamRead, grantTag } from "./access";
import { StreamItem } from "../../model/stream-item";
import { StreamName } from "../../model/stream-name";
import { wrapStream } from "./wrap-stream";
import { streamStub } from "../../stream/stub";

export const streams = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

const Snapshot = z
	.object({
		stream: StreamName,
		seq: z.number().int().openapi({ description: "The stream's current seq." }),
		items: z.array(StreamItem).openapi({ description: "In seq order." }),
		resumed: z.boolean().openapi({
			description: "True: `items` and `removed` are the changes after `since`. False: a full snapshot (or a page of it).",
		}),
		removed: z.array(z.string()).openapi({ description: "Keys removed after `since` (resumes only)." }),
		next_after: z
			.number()
			.int()
			.nullable()
			.openapi({ description: "With `limit`: pass as `after` for the next page; null on the last page." }),
	})
	.openapi("Snapshot");

const SnapshotQuery = z
	.object({
		since: z.coerce.number().int().min(0).optional().openapi({
			description: "Resume: only what changed after this seq, if the stream still retains it; otherwise a full snapshot.",
		}),
		after: z.coerce.number().int().min(0).optional().openapi({ description: "Snapshot paging: items with a seq above this." }),
		limit: z.coerce.number().int().min(1).max(100_000).optional().openapi({ description: "Snapshot paging: page size." }),
	})
	.refine((query) => query.since === undefined || (query.after === undefined && query.limit === undefined), {
		message: "since cannot be combined with after or limit.",
	});

const SocketQuery = z.object({
	token: z.string().max(600).optional(),
	since: z.coerce.number().int().min(0).optional(),
});

// The snapshot is served as text spliced from SQLite's JSON, which a typed openapi() handler cannot return; it is documented by hand.
streams.openAPIRegistry.registerPath({
	method: "get",
	path: "/{stream}/items",
	tags: ["Streams"],
	security: [{ RendererToken: [] }, { AdminToken: [] }],
	summary: "The stream's items",
	request: { params: StreamParams, query: SnapshotQuery },
	responses: { 200: jsonResponse(envelope(Snapshot), "The items, in seq order."), ...errorResponses(400, 401, 404) },
});

streams.get("/:stream/items", async (c) => {
	const stream = c.req.param("stream");
	await authorizeStreamRead(c.env, stream, { authorization: c.req.header("Authorization") });
	const query = SnapshotQuery.safeParse(c.req.query());
	if (!query.success) throw invalidPayload("The query is invalid.", zodDetails(query.error));
	const { since, after, limit } = query.data;
	// The object reads the snapshot in one turn and streams its members; item texts come from SQLite's JSON
	// functions, spliced without parsing and re-serialising every item.
	const members = await streamStub(c.env, stream).read(since === undefined ? { after, limit } : { since });
	const body = wrapStream(`{"success":true,"data":{"stream":${JSON.stringify(stream)},`, members, "}}");
	return c.body(body, 200, { "Content-Type": "application/json; charset=utf-8" });
});

// Declared apart: inline, the two schemes' objects infer a type createRoute's generics cannot read, and the handler loses its input types.
const readSecurity: Record<string, string[]>[] = [{ RendererToken: [] }, { AdminToken: [] }];

// Credentials are checked before the path is validated, as for GET /items: a caller without them learns nothing.
streams.use(
	"/:stream/items/:key",
	createMiddleware<AppEnv>(async function readAccess(c, next) {
		await authorizeStreamRead(c.env, c.req.param("stream") ?? "", { authorization: c.req.header("Authorization") });
		await next();
	}),
);

streams.openapi(
	createRoute({
		method: "get",
		path: "/{stream}/items/{key}",
		tags: ["Streams"],
		security: readSecurity,
		summary: "One item of the stream",
		request: { params: ItemParams },
		responses: {
			200: jsonResponse(envelope(StreamItem), "The item."),
			...errorResponses(400, 401, 404),
		},
	}),
	async (c) => {
		const { stream, key } = c.req.valid("param");
		const item = await streamStub(c.env, stream).getItem(key);
		if (!item) throw new ApiError(404, "ITEM_NOT_FOUND", `Stream "${stream}" has no item "${key}".`);
		// RPC types a record of unknown values as never; the object's item is what StreamItem describes.
		return c.json(ok<z.infer<typeof StreamItem>>(item), 200);
	},
);

// As for GET /items/:key: credentials first, so a caller without them learns nothing of the path.
streams.use(
	"/:stream/schema",
	createMiddleware<AppEnv>(async function schemaAccess(c, next) {
		await authorizeStreamRead(c.env, c.req.param("stream") ?? "", { authorization: c.req.header("Authorization") });
		await next();
	}),
);

streams.openapi(
	createRoute({
		method: "get",
		path: "/{stream}/schema",
		tags: ["Streams"],
		security: readSecurity,
		summary: "The stream's item schema",
		description: "The JSON Schema (draft 2020-12) that every item of an `upsert` or `replace` request is checked against, `null` when the stream has none.",
		request: { params: StreamParams },
		responses: { 200: jsonResponse(envelope(StreamSchemaBody), "The schema, or null."), ...errorResponses(401, 404) },
	}),
	async (c) => {
		const { stream } = c.req.valid("param");
		const row = await getStream(c.env.DB, stream);
		if (!row) throw streamNotFound(stream);
		return c.json(ok({ schema: row.schema }), 200);
	},
);

streams.openAPIRegistry.registerPath({
	method: "get",
	path: "/{stream}/ws",
	tags: ["Streams"],
	summary: "Live changes over a WebSocket",
	description:
		"Upgrade to a WebSocket with `?token=rk_live_…` or a ticket `rk_tmp_…` (never the admin token). Frames: `snapshot`, `changes`, `error`; `ping` is answered `pong`; `resync` at most once a second per socket (else an `error` frame `RATE_LIMITED`). The server closes the socket with 4001 when its token is revoked, 4003 when its ticket expires and 4004 when the stream is deleted. See the README's renderer protocol.",
	request: { params: StreamParams, query: SocketQuery },
	responses: {
		101: { description: "Switching protocols: the socket is open." },
		...errorResponses(400, 401, 404, 426),
	},
});

streams.get("/:stream/ws", async (c) => {
	const stream = c.req.param("stream");
	const query = SocketQuery.safeParse(c.req.query());
	if (!query.success) throw invalidPayload("The query is invalid.", zodDetails(query.error));
	const authorization = c.req.header("Authorization");
	// The admin token is accepted only in a header, and only as a renderer token would be: it may not open sockets from a URL.
	const grant = await authorizeStreamRead(c.env, stream, {
		authorization: query.data.token === undefined ? authorization : undefined,
		queryToken: query.data.token ?? null,
	});
	if (c.req.header("Upgrade")?.toLowerCase() !== "websocket") {
		throw new ApiError(426, "UPGRADE_REQUIRED", "This endpoint speaks WebSocket: send Upgrade: websocket.", undefined, {
			Upgrade: "websocket",
		});
	}
	const target = new URL("https://stream.internal/ws");
	target.searchParams.set("grant", grantTag(grant));
	// A socket lives no longer than its grant: the object closes it when the ticket expires.
	if (grant.kind === "ticket") target.searchParams.set("expires", String(grant.expiresAt));
	if (query.data.since !== undefined) target.searchParams.set("since", String(query.data.since));
	return streamStub(c.env, stream).fetch(target, { headers: { Upgrade: "websocket" } });
});
