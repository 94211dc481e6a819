import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import { ingestKeys } from "../../services/auth/ingest-auth";
import type { AppEnv } from "../http/context";
import { envelope, errorResponses, jsonResponse, ok } from "../http/envelope";
import { ApiError } from "../../model/errors";
import { requireJsonBody, validationHook } from "../http/validation";
import { createConnector, getConnector, listConnectors, updateConnector } from "../../storage/connectors";
import { connectorStats, noActivity } from "../../storage/connector-stats";
import { deleteConnectors } from "../../storage/connector-removal";
import { listIngestKeys } from "../../storage/ingest-keys";
import {
	Connector,
	ConnectorListEntry,
	ConnectorListQuery,
	ConnectorParams,
	ConnectorWithKeys,
	CreateConnector,
	PatchConnector,
} from "./schemas";

export const connectors = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

const security = [{ AdminToken: [] }];
const tags = ["Data Sources"];

export const connectorNotFound = (id: string) =>
	new ApiError(404, "CONNECTOR_NOT_FOUND", `There is no connector ${id}.`);

connectors.openapi(
	createRoute({
		method: "post",
		path: "/",
		tags,
		security,
		summary: "Create a connector (and its stream, if new)",
		request: { body: { required: true, content: { "application/json": { schema: CreateConnector } } } },
		responses: {
			201: jsonResponse(envelope(Connector), "The connector."),
			...errorResponses(400, 401),
		},
	}),
	async (c) => {
		const input = c.req.valid("json");
		const connector = await createConnector(c.env.DB, {
			name: input.name,
			stream: input.stream,
			item_key: input.item_key ?? null,
			rate_limit: input.rate_limit ?? null,
		});
		return c.json(ok(connector), 201);
	},
);

connectors.openapi(
	createRoute({
		method: "get",
		path: "/",
		tags,
		security,
		summary: "List connectors",
		description: "With `include=stats`, each connector also carries the figures the Data Sources list shows.",
		request: { query: ConnectorListQuery },
		responses: {
			200: jsonResponse(envelope(z.array(ConnectorListEntry)), "Every connector, oldest first."),
			...errorResponses(400, 401),
		},
	}),
	async (c) => {
		const { include } = c.req.valid("query");
		if (include !== "stats") return c.json(ok(await listConnectors(c.env.DB)), 200);
		const [list, stats] = await Promise.all([listConnectors(c.env.DB), connectorStats(c.env.DB)]);
		// A connector created between the two queries has had no activity yet.
		return c.json(ok(list.map((connector) => ({ ...connector, stats: stats.get(connector.id) ?? noActivity() }))), 200);
	},
);

connectors.openapi(
	createRoute({
		method: "get",
		path: "/{id}",
		tags,
		security,
		summary: "Get a connector with its keys",
		request: { params: ConnectorParams },
		responses: {
			200: jsonResponse(envelope(ConnectorWithKeys), "The connector; keys show their prefix, never the key."),
			...errorResponses(401, 404),
		},
	}),
	async (c) => {
		const { id } = c.req.valid("param");
		const [connector, keys] = await Promise.all([getConnector(c.env.DB, id), listIngestKeys(c.env.DB, id)]);
		if (!connector) throw connectorNotFound(id);
		return c.json(ok({ ...connector, keys }), 200);
	},
);

connectors.openapi(
	createRoute({
		method: "patch",
		path: "/{id}",
		tags,
		security,
		summary: "Update a connector's name, item_key or rate_limit",
		middleware: [requireJsonBody],
		request: { params: ConnectorParams, body: { required: true, content: { "application/json": { schema: PatchConnector } } } },
		responses: { 200: jsonResponse(envelope(Connector), "The updated connector."), ...errorResponses(400, 401, 404) },
	}),
	async (c) => {
		const { id } = c.req.valid("param");
		const connector = await updateConnector(c.env.DB, id, c.req.valid("json"));
		if (!connector) throw connectorNotFound(id);
		// Cached keys carry the connector's settings: drop them so this isolate applies the change at once.
		ingestKeys.forgetWhere((principal) => principal.connector.id === id);
		return c.json(ok(connector), 200);
	},
);

connectors.openapi(
	createRoute({
		method: "delete",
		path: "/{id}",
		tags,
		security,
		summary: "Delete a connector with its keys and logs",
		description:
			"Its keys are refused with 401 at once in the isolate that deleted it, and everywhere within AUTH_CACHE_TTL_SECONDS (≤ 60 s). Its stream, with its items and renderer tokens, stays.",
		request: { params: ConnectorParams },
		responses: { 200: jsonResponse(envelope(Connector), "The deleted connector."), ...errorResponses(401, 404) },
	}),
	async (c) => {
		const { id } = c.req.valid("param");
		const [connector] = await deleteConnectors(c.env.DB, [id]);
		if (!connector) throw connectorNotFound(id);
		ingestKeys.forgetWhere((principal) => principal.connector.id === id);
		return c.json(ok(connector), 200);
	},
);
