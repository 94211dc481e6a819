import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import type { AppEnv } from "../http/context";
import { envelope, errorResponses, jsonResponse } from "../http/envelope";
import { invalidPayload } from "../http/errors";
import { validationHook, zodDetails } from "../http/validation";
import { StreamParams } from "../admin/schemas";
import { authorizeStreamRead } from "./access";
import { StreamName } from "./names";
import { streamStub } from "./stub";

export const streams = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

export const StreamItem = z
	.object({
		key: z.string().openapi({ example: "North" }),
		value: z.record(z.string(), z.unknown()).openapi({ example: { region: "North", revenue: 1200 } }),
		seq: z.number().int().openapi({ example: 12 }),
		updated_at: z.string().openapi({ format: "date-time" }),
	})
	.openapi("StreamItem");

const Snapshot = z
	.object({
		stream: StreamName,
		seq: z.number().int().openapi({ description: "The stream's current seq." }),
		items: z.array(StreamItem).openapi({ description: "In seq order." }),
	})
	.openapi("Snapshot");

const SnapshotQuery = z.object({
	since: z.coerce
		.number()
		.int()
		.min(0)
		.optional()
		.openapi({ description: "Only items changed after this seq (their current value)." }),
	limit: z.coerce
		.number()
		.int()
		.min(1)
		.max(100_000)
		.optional()
		.openapi({ description: "At most this many items (the lowest seqs first); page on with since=<last item's seq>." }),
});

// The snapshot is served as text spliced from SQLite's JSON, which a typed openapi() handler cannot return; the route is documented by hand.
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
	await authorizeStreamRead(c.env, stream, c.req.header("Authorization"));
	const query = SnapshotQuery.safeParse(c.req.query());
	if (!query.success) throw invalidPayload("The query is invalid.", zodDetails(query.error));
	const snapshot = await streamStub(c.env, stream).snapshot(query.data.since, query.data.limit);
	// The items arrive as JSON text built by SQLite; splicing it in avoids parsing and re-serialising every item.
	const body = `{"success":true,"data":{"stream":${JSON.stringify(stream)},"seq":${snapshot.seq},"items":${snapshot.itemsJson}}}`;
	return c.body(body, 200, { "Content-Type": "application/json; charset=utf-8" });
});
