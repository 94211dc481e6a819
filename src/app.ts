import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import { cors } from "hono/cors";
import { admin } from "./edge/admin";
import { dashboard } from "./edge/dashboard/assets";
import type { AppEnv } from "./edge/http/context";
import { docs, OPENAPI_PATH, openApiHandler } from "./edge/http/docs";
import { envelope, jsonResponse, ok } from "./edge/http/envelope";
import { notFoundHandler, onError } from "./edge/http/on-error";
import { requestId } from "./edge/http/request-id";
import { validationHook } from "./edge/http/validation";
import { ingest } from "./edge/ingest/route";
import { streams } from "./edge/stream-routes/routes";

/** The HTTP API. */
export const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

app.use("*", requestId);
// Clients post from browsers anywhere; credentials travel in headers, never cookies.
app.use(
	"/api/*",
	cors({
		origin: "*",
		allowHeaders: ["Authorization", "Content-Type", "Content-Encoding", "Idempotency-Key", "X-Item-Key", "X-Ingest-Mode"],
		allowMethods: ["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
		exposeHeaders: [
			"X-Request-Id",
			"Idempotent-Replayed",
			"Retry-After",
			"RateLimit-Limit",
			"RateLimit-Remaining",
			"RateLimit-Reset",
		],
		maxAge: 86_400,
	}),
);
app.onError(onError);
app.notFound(notFoundHandler(() => app.routes));

app.openapi(
	createRoute({
		method: "get",
		path: "/api/health",
		tags: ["Health"],
		summary: "Readiness",
		responses: { 200: jsonResponse(envelope(z.object({ status: z.literal("ok") })), "Ready to serve.") },
	}),
	(c) => c.json(ok({ status: "ok" as const }), 200),
);

app.route("/", ingest);
app.route("/api/admin", admin);
app.route("/api/streams", streams);
app.get(OPENAPI_PATH, openApiHandler(app));
app.route("/docs", docs);
// Last: it answers every GET the API did not.
app.route("/", dashboard);

app.openAPIRegistry.registerComponent("securitySchemes", "IngestKey", {
	type: "http",
	scheme: "bearer",
	description: "An ingest key, `ik_live_…`, made per connector.",
});
app.openAPIRegistry.registerComponent("securitySchemes", "AdminToken", {
	type: "http",
	scheme: "bearer",
	description: "The ADMIN_TOKEN secret.",
});
app.openAPIRegistry.registerComponent("securitySchemes", "RendererToken", {
	type: "http",
	scheme: "bearer",
	description: "A renderer token of the stream, `rk_live_…`.",
});
