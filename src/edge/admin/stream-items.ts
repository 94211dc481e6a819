import { OpenAPIHono, createRoute } from "@hono/zod-openapi";
import type { AppEnv } from "../http/context";
import { envelope, errorResponses, jsonResponse, ok } from "../http/envelope";
import { validationHook } from "../http/validation";
import { requireStream } from "../stream-routes/existence";
import { streamStub } from "../../stream/stub";
import { ItemDeleted, ItemParams, StreamCleared, StreamParams } from "./schemas";

/** An admin's deletes and clears: applied by the stream before the answer, stamped like writes. */
export const streamItemRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

const security = [{ AdminToken: [] }];
const tags = ["Streams"];

streamItemRoutes.openapi(
	createRoute({
		method: "delete",
		path: "/{stream}/items/{key}",
		tags,
		security,
		summary: "Delete one item",
		description:
			"Applied before the answer and stamped with the time this request arrived, like a write: a write received earlier and delivered later does not bring the item back. Renderers get the key in `removed`.",
		request: { params: ItemParams },
		responses: { 200: jsonResponse(envelope(ItemDeleted), "Whether an item was deleted."), ...errorResponses(400, 401, 404) },
	}),
	async (c) => {
		const { stream, key } = c.req.valid("param");
		await requireStream(c.env, stream);
		const { deleted } = await streamStub(c.env, stream).deleteItems({
			keys: [key],
			at: c.get("receivedAt"),
			requestId: c.get("requestId"),
		});
		return c.json(ok({ deleted: deleted[0] === true }), 200);
	},
);

streamItemRoutes.openapi(
	createRoute({
		method: "delete",
		path: "/{stream}/items",
		tags,
		security,
		summary: "Clear the stream: delete every item",
		description:
			"Applied before the answer and stamped with the time this request arrived: writes received earlier and delivered later are discarded, later ones survive. Renderers get a fresh, empty snapshot.",
		request: { params: StreamParams },
		responses: { 200: jsonResponse(envelope(StreamCleared), "The stream is empty."), ...errorResponses(401, 404) },
	}),
	async (c) => {
		const { stream } = c.req.valid("param");
		await requireStream(c.env, stream);
		const { removed } = await streamStub(c.env, stream).clearItems({ at: c.get("receivedAt"), requestId: c.get("requestId") });
		return c.json(ok({ cleared: true as const, removed }), 200);
	},
);
