import { OpenAPIHono, createRoute } from "@hono/zod-openapi";
import type { AppEnv } from "../http/context";
import { errorResponses, jsonResponse } from "../http/envelope";
import { validationHook } from "../http/validation";
import { listLogs } from "../../storage/connector-logs";
import { getConnector } from "../../storage/connectors";
import { connectorNotFound } from "./connectors";
import { decodeCursor, encodeCursor } from "./cursor";
import { ConnectorParams, LogPage, LogQuery } from "./schemas";

export const logs = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

logs.openapi(
	createRoute({
		method: "get",
		path: "/{id}/logs",
		tags: ["Data Sources"],
		security: [{ AdminToken: [] }],
		summary: "A connector's request log, newest first",
		request: { params: ConnectorParams, query: LogQuery },
		responses: { 200: jsonResponse(LogPage, "A page of log entries."), ...errorResponses(400, 401, 404) },
	}),
	async (c) => {
		const { id } = c.req.valid("param");
		const { status, limit, cursor } = c.req.valid("query");
		const after = cursor === undefined ? undefined : decodeCursor(cursor);
		if (!(await getConnector(c.env.DB, id))) throw connectorNotFound(id);
		// One row more than asked tells whether another page exists without a second query.
		const rows = await listLogs(c.env.DB, id, { status, limit: limit + 1, after });
		const page = rows.slice(0, limit);
		const last = page.at(-1);
		const next_cursor = rows.length > limit && last ? encodeCursor(last) : null;
		return c.json({ success: true as const, data: page, next_cursor }, 200);
	},
);
