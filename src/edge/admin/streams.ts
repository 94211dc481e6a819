import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import { ingestKeys } from "../../services/auth/ingest-auth";
import { rendererTokens } from "../../services/auth/renderer-auth";
import type { AppEnv } from "../http/context";
import { envelope, errorResponses, jsonResponse, ok } from "../http/envelope";
import { ApiError, invalidPayload } from "../../model/errors";
import { validationHook } from "../http/validation";
import { deleteConnectors } from "../../storage/connector-removal";
import { listConnectorsOf } from "../../storage/connectors";
import { deleteRendererTokensOf } from "../../storage/renderer-tokens";
import { type StreamRecord, deleteStreamRow, getStream, listStreams, setStreamSchema } from "../../storage/streams";
import { schemaRefusals, streamSchemas } from "../../services/schemas";
import { streamNotFound } from "../stream-routes/existence";
import { streamStub } from "../../stream/stub";
import { DeleteStreamQuery, PatchStream, StreamDeleted, StreamDetail, StreamInfo, StreamParams } from "./schemas";

export const streamRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

const security = [{ AdminToken: [] }];
const tags = ["Streams"];

/** The stream's row, else 404. */
async function streamOr404(db: D1Database, name: string): Promise<StreamRecord> {
	const stream = await getStream(db, name);
	if (!stream) throw streamNotFound(name);
	return stream;
}

streamRoutes.openapi(
	createRoute({
		method: "get",
		path: "/",
		tags,
		security,
		summary: "List streams",
		responses: { 200: jsonResponse(envelope(z.array(StreamInfo)), "Every stream, by name."), ...errorResponses(401) },
	}),
	async (c) => c.json(ok(await listStreams(c.env.DB)), 200),
);

streamRoutes.openapi(
	createRoute({
		method: "get",
		path: "/{stream}",
		tags,
		security,
		summary: "Get a stream with its item count, seq and last write",
		request: { params: StreamParams },
		responses: { 200: jsonResponse(envelope(StreamDetail), "The stream."), ...errorResponses(401, 404) },
	}),
	async (c) => {
		const { stream } = c.req.valid("param");
		const row = await streamOr404(c.env.DB, stream);
		const summary = await streamStub(c.env, stream).summary();
		return c.json(ok({ ...row, ...summary }), 200);
	},
);

streamRoutes.openapi(
	createRoute({
		method: "patch",
		path: "/{stream}",
		tags,
		security,
		summary: "Set or remove the stream's item schema",
		description:
			"An invalid schema is `400 INVALID_PAYLOAD` whose `details` say where (`path`, under `schema`) and what. From then on (at once in the isolate that took the change, within `AUTH_CACHE_TTL_SECONDS`, at most 60 s, everywhere) every item of an `upsert` or `replace` request is checked against it at the edge; requests accepted before are not checked again.",
		request: { params: StreamParams, body: { content: { "application/json": { schema: PatchStream } }, required: true } },
		responses: { 200: jsonResponse(envelope(StreamDetail), "The stream, with its schema."), ...errorResponses(400, 401, 404) },
	}),
	async (c) => {
		const { stream } = c.req.valid("param");
		const { schema } = c.req.valid("json");
		if (schema !== null) {
			const refusals = schemaRefusals(schema);
			if (refusals.length > 0) throw invalidPayload(`The schema is not usable: ${refusals[0]?.message}`, refusals);
		}
		if (!(await setStreamSchema(c.env.DB, stream, schema))) throw streamNotFound(stream);
		// This isolate checks the next request against the new schema; the others within their cache's TTL.
		streamSchemas.forget(stream);
		const row = await streamOr404(c.env.DB, stream);
		const summary = await streamStub(c.env, stream).summary();
		return c.json(ok({ ...row, ...summary }), 200);
	},
);

streamRoutes.openapi(
	createRoute({
		method: "delete",
		path: "/{stream}",
		tags,
		security,
		summary: "Delete a stream: its items, changelog and renderer tokens; its sockets are closed (4004)",
		description:
			"`409 STREAM_IN_USE` while connectors name the stream, unless `force=true`, which deletes them with their keys and logs first. A stream created again under the name starts empty, with seqs above the old ones.",
		request: { params: StreamParams, query: DeleteStreamQuery },
		responses: {
			200: jsonResponse(envelope(StreamDeleted), "The stream is gone."),
			...errorResponses(400, 401, 404, 409),
		},
	}),
	async (c) => {
		const { stream } = c.req.valid("param");
		const force = c.req.valid("query").force === "true";
		await streamOr404(c.env.DB, stream);
		const connectors = await listConnectorsOf(c.env.DB, stream);
		if (connectors.length > 0 && !force) {
			throw new ApiError(
				409,
				"STREAM_IN_USE",
				`Stream "${stream}" is named by ${connectors.length} connector(s); delete them first, or pass force=true.`,
			);
		}
		// Credentials go before the items, so nothing new is written or read in between: a failure on the way answers
		// 500 and leaves the stream's row, and the DELETE can be retried.
		const gone = new Set((await deleteConnectors(c.env.DB, connectors.map((connector) => connector.id))).map((connector) => connector.id));
		ingestKeys.forgetWhere((principal) => gone.has(principal.connector.id));
		await deleteRendererTokensOf(c.env.DB, stream);
		rendererTokens.forgetWhere((grant) => grant.stream === stream);
		await streamStub(c.env, stream).destroy();
		// Last, so a stream whose items could not be destroyed is still there to delete again.
		await deleteStreamRow(c.env.DB, stream);
		return c.json(ok({ deleted: true as const, name: stream }), 200);
	},
);
