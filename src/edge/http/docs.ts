// The package does not export its browser bundle, so it is reached by path; wrangler.toml imports it as text.
import scalarBundle from "../../../node_modules/@scalar/api-reference/dist/browser/standalone.js";
import { Scalar } from "@scalar/hono-api-reference";
import type { Handler } from "hono";
import { Hono } from "hono";
import type { AppEnv, Router } from "./context";
import { buildOpenApiDocument, type OpenApiDocument } from "./openapi-document";

/** Where the OpenAPI document is served. */
export const OPENAPI_PATH = "/api/openapi.json";

/** `GET /api/openapi.json`: the OpenAPI 3.1 document of `app`, its server being the origin it was asked from. */
export function openApiHandler(app: Router): Handler<AppEnv> {
	// Routes are all registered at start-up, so one isolate builds the document once and only swaps the origin.
	let cached: OpenApiDocument | undefined;
	return function openApi(c) {
		const origin = new URL(c.req.url).origin;
		cached ??= buildOpenApiDocument(app, origin);
		return c.json({ ...cached, servers: [{ url: origin, description: "This deployment." }] });
	};
}

/** `GET /docs`: the interactive API reference; `GET /docs/scalar.js`: its script, served from here so it works offline. */
export const docs = new Hono<AppEnv>();

docs.get(
	"/",
	Scalar({
		pageTitle: "DataPool Ingest API",
		url: OPENAPI_PATH,
		// Root-absolute, so the page works at /docs and /docs/ alike.
		cdn: "/docs/scalar.js",
		// Nothing may leave the page: no web fonts, no telemetry, no hosted AI agent or MCP links.
		withDefaultFonts: false,
		telemetry: false,
		agent: { disabled: true },
		mcp: { disabled: true },
		// Its toolbar offers to share or deploy the document through scalar.com.
		showDeveloperTools: "never",
	}),
);

docs.get("/scalar.js", (c) =>
	c.body(scalarBundle, 200, {
		"Content-Type": "text/javascript; charset=utf-8",
		"Cache-Control": "public, max-age=3600",
	}),
);
