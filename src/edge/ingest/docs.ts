import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { envelope, errorResponses } from "../http/envelope";
import { StreamName } from "../../model/stream-name";
import { IngestHeaders } from "./headers";
import { MAX_ITEMS } from "../../model/payload";

const Item = z.record(z.string(), z.unknown()).openapi("IngestItem", {
	example: { region: "North", revenue: 1200 },
});

const IngestBody = z
	.union([Item, z.array(Item).min(1).max(MAX_ITEMS)])
	.openapi("IngestBody", { description: "One JSON object, or a non-empty array of at most 10,000 objects; at most 1 MB." });

export const IngestAccepted = z
	.object({
		stream: StreamName,
		items_received: z.number().int().openapi({ example: 3 }),
		request_id: z.string().openapi({ example: "req_01jd2k3m4n5p6q7r8s9t0v1w2x" }),
	})
	.openapi("IngestAccepted");

const RateLimitHeaders = {
	"RateLimit-Limit": { description: "Requests allowed per period.", schema: { type: "integer" as const } },
	"RateLimit-Remaining": { description: "Requests left right now.", schema: { type: "integer" as const } },
	"RateLimit-Reset": { description: "Seconds until the allowance is whole again.", schema: { type: "integer" as const } },
};

// Content-Type is described by the request body; OpenAPI ignores it as a header parameter. The rest keep their parsers' schemas, under their usual spelling.
const DocumentedHeaders = z.object({
	"Idempotency-Key": IngestHeaders.shape["idempotency-key"],
	"X-Item-Key": IngestHeaders.shape["x-item-key"],
	"X-Ingest-Mode": IngestHeaders.shape["x-ingest-mode"],
	"Content-Encoding": IngestHeaders.shape["content-encoding"],
});

/** An error answered after the connector's rate limit was taken, so it carries the RateLimit-* headers. */
function limitedError(status: 400 | 413 | 422) {
	const response = errorResponses(status)[status];
	return { ...response, headers: RateLimitHeaders };
}

/** Describes the ingest endpoints, whose bodies are read by hand (streamed, gzip, NDJSON), in the OpenAPI document. */
export function registerIngestDocs(registry: OpenAPIHono["openAPIRegistry"]): void {
	for (const path of ["/api/ingest", "/api/ingest/{stream}"]) {
		registry.registerPath({
			method: "post",
			path,
			tags: ["Ingest"],
			summary: path.includes("{stream}") ? "Ingest items, checking the key's stream" : "Ingest items",
			description:
				"In `upsert` and `replace` modes every item is checked against the stream's schema, if it has one (`PATCH /api/admin/streams/{stream}`): any failing item is `400 INVALID_PAYLOAD` and nothing is queued; `details` lists `{index, path: [index, ...field path], message}` in index order (at most 100, item-key problems among them) and the message counts every item that failed.",
			security: [{ IngestKey: [] }],
			request: {
				headers: DocumentedHeaders,
				...(path.includes("{stream}") ? { params: z.object({ stream: StreamName }) } : {}),
				body: {
					required: true,
					content: {
						"application/json": { schema: IngestBody },
						"application/x-ndjson": { schema: z.string().openapi({ description: "One JSON object per line." }) },
					},
				},
			},
			responses: {
				202: {
					description: "Durably queued. A replay of an Idempotency-Key answers the original request_id with `Idempotent-Replayed: true`.",
					headers: {
						...RateLimitHeaders,
						"Idempotent-Replayed": { description: "`true` on a replay.", schema: { type: "string", enum: ["true"] } },
					},
					content: { "application/json": { schema: envelope(IngestAccepted) } },
				},
				...errorResponses(401, 404, 500),
				400: limitedError(400),
				413: limitedError(413),
				422: limitedError(422),
				429: {
					description: "Rate limit exceeded (RATE_LIMITED).",
					headers: {
						...RateLimitHeaders,
						"Retry-After": { description: "Whole seconds to wait.", schema: { type: "integer" } },
					},
					content: errorResponses(429)[429].content,
				},
			},
		});
	}
}
