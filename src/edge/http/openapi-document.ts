import packageJson from "../../../package.json";
import type { Router } from "./context";

/** The OpenAPI 3.1 document as @hono/zod-openapi builds it. */
export type OpenApiDocument = ReturnType<Router["getOpenAPI31Document"]>;
type Operation = NonNullable<NonNullable<OpenApiDocument["paths"]>[string]["get"]>;

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

const DESCRIPTION = [
	"Push JSON items into named streams; renderers read them back as snapshots and live changes.",
	"",
	"Every JSON answer is `{\"success\": true, \"data\": …}` or `{\"success\": false, \"error\": {\"code\", \"message\", \"details\"?}, \"request_id\"}`,",
	"and every response carries `X-Request-Id`. Ingest with an `Idempotency-Key` and retry with the same key: a repeat is answered",
	"with the original `request_id` and `Idempotent-Replayed: true`, and never applied twice.",
].join("\n");

const TAGS = [
	{ name: "Ingest", description: "Push items with an ingest key (`ik_live_…`)." },
	{ name: "Data Sources", description: "Connectors, their ingest keys and request logs; admin token." },
	{ name: "Streams", description: "Read a stream; manage its renderer tokens." },
	{ name: "Health", description: "Readiness." },
];

/**
 * The API description for clients at `origin`. Three promises hold for every route,
 * including ones added later, so they are stated here once rather than on each
 * route: every response carries `X-Request-Id`, any route may fail with
 * `500 INTERNAL_ERROR` in the error envelope, and any route with parameters or a body
 * answers `400 INVALID_PAYLOAD` to ones its schema refuses.
 */
export function buildOpenApiDocument(app: Router, origin: string): OpenApiDocument {
	const document = app.getOpenAPI31Document({
		openapi: "3.1.0",
		info: { title: "DataPool Ingest API", version: packageJson.version, description: DESCRIPTION },
		servers: [{ url: origin, description: "This deployment." }],
		tags: TAGS,
	});
	const components = (document.components ??= {});
	(components.headers ??= {})["X-Request-Id"] = {
		description: "This request's id (`req_…`), also in the error envelope's `request_id`.",
		schema: { type: "string", pattern: "^req_[0-9a-z]{26}$" },
	};
	(components.responses ??= {}).InternalError = {
		description: "Unexpected failure (INTERNAL_ERROR); logged with the request id.",
		headers: { "X-Request-Id": { $ref: "#/components/headers/X-Request-Id" } },
		// "Error" is the name ErrorEnvelope is registered under in envelope.ts.
		content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
	};
	for (const item of Object.values(document.paths ?? {})) {
		for (const method of METHODS) {
			const operation = item[method];
			if (operation) addCommonResponses(operation);
		}
	}
	return document;
}

function addCommonResponses(operation: Operation): void {
	const responses = (operation.responses ??= {});
	// Every route validates its parameters and body against its schema first (validation.ts answers 400).
	if ((operation.parameters?.length ?? 0) > 0 || operation.requestBody) {
		responses["400"] ??= {
			description: "A parameter, header or body the route's schema refuses (INVALID_PAYLOAD), with details naming it.",
			content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
		};
	}
	responses["500"] ??= { $ref: "#/components/responses/InternalError" };
	for (const response of Object.values(responses)) {
		if ("$ref" in response) continue;
		(response.headers ??= {})["X-Request-Id"] ??= { $ref: "#/components/headers/X-Request-Id" };
	}
}
