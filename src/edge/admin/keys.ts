import { OpenAPIHono, createRoute } from "@hono/zod-openapi";
import { ingestKeys } from "../../services/auth/ingest-auth";
import { SECRET_PREFIX, displayPrefix, generateSecret, sha256Hex } from "../../services/auth/secrets";
import type { AppEnv } from "../http/context";
import { envelope, errorResponses, jsonResponse, ok } from "../http/envelope";
import { ApiError } from "../../model/errors";
import { validationHook } from "../http/validation";
import { getConnector } from "../../storage/connectors";
import { insertIngestKey, revokeIngestKey } from "../../storage/ingest-keys";
import { connectorNotFound } from "./connectors";
import { ConnectorParams, CreatedIngestKey, IngestKeyInfo, KeyParams } from "./schemas";

export const keys = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

const security = [{ AdminToken: [] }];
const tags = ["Data Sources"];

keys.openapi(
	createRoute({
		method: "post",
		path: "/{id}/keys",
		tags,
		security,
		summary: "Create an ingest key (shown once)",
		request: { params: ConnectorParams },
		responses: {
			201: jsonResponse(envelope(CreatedIngestKey), "The key. This is the only time it is shown."),
			...errorResponses(401, 404),
		},
	}),
	async (c) => {
		const { id } = c.req.valid("param");
		if (!(await getConnector(c.env.DB, id))) throw connectorNotFound(id);
		const key = generateSecret(SECRET_PREFIX.ingestKey);
		const hash = await sha256Hex(key);
		const info = await insertIngestKey(c.env.DB, id, hash, displayPrefix(key));
		ingestKeys.forget(hash);
		c.header("Cache-Control", "no-store");
		return c.json(ok({ id: info.id, key, prefix: info.prefix, created_at: info.created_at }), 201);
	},
);

keys.openapi(
	createRoute({
		method: "delete",
		path: "/{id}/keys/{key_id}",
		tags,
		security,
		summary: "Revoke an ingest key",
		description: "Refused with 401 at once in the isolate that revoked it, and everywhere within AUTH_CACHE_TTL_SECONDS (≤ 60 s).",
		request: { params: KeyParams },
		responses: { 200: jsonResponse(envelope(IngestKeyInfo), "The revoked key."), ...errorResponses(401, 404) },
	}),
	async (c) => {
		const { id, key_id } = c.req.valid("param");
		const revoked = await revokeIngestKey(c.env.DB, id, key_id);
		if (!revoked) throw new ApiError(404, "KEY_NOT_FOUND", `Connector ${id} has no key ${key_id}.`);
		ingestKeys.forget(revoked.keyHash);
		return c.json(ok(revoked.key), 200);
	},
);
