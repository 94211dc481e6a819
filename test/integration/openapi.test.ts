import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { ERROR_CODES } from "../../src/model/errors";
import { call } from "../helpers";

interface Response3 {
	$ref?: string;
	description?: string;
	headers?: Record<string, unknown>;
	content?: Record<string, { schema?: unknown }>;
}
interface Operation {
	security?: Record<string, string[]>[];
	parameters?: { name: string; in: string }[];
	requestBody?: { content: Record<string, unknown> };
	responses: Record<string, Response3>;
}
interface Document {
	openapi: string;
	info: { title: string; version: string };
	servers: { url: string }[];
	paths: Record<string, Record<string, Operation>>;
	components: {
		securitySchemes: Record<string, { type: string; scheme: string }>;
		schemas: Record<string, { properties?: Record<string, { properties?: Record<string, { enum?: string[] }> }> }>;
		responses: Record<string, Response3>;
		headers: Record<string, unknown>;
	};
}

// The reference pages and the document describe the API, and the catch-all serves the dashboard's pages: none is part of the API.
const UNDOCUMENTED = new Set(["/api/openapi.json", "/docs", "/docs/scalar.js", "/*"]);

/** Every method and path the app answers, in OpenAPI spelling: `GET /api/streams/{stream}/items`. */
function servedRoutes(): string[] {
	const routes = new Set<string>();
	for (const route of app.routes) {
		// `app.use(...)` middleware is registered under the method ALL; it answers no request on its own.
		if (route.method === "ALL" || UNDOCUMENTED.has(route.path)) continue;
		const path = route.path.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, "{$1}");
		routes.add(`${route.method} ${path}`);
	}
	return [...routes].sort();
}

function documentedRoutes(document: Document): string[] {
	return Object.entries(document.paths)
		.flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`))
		.sort();
}

async function openApi(origin = "http://datapool.test"): Promise<Document> {
	const response = await exports.default.fetch(`${origin}/api/openapi.json`);
	expect(response.status).toBe(200);
	expect(response.headers.get("Content-Type")).toMatch(/^application\/json/);
	return response.json<Document>();
}

function operations(document: Document): [string, Operation][] {
	return Object.entries(document.paths).flatMap(([path, item]) =>
		Object.entries(item).map(([method, operation]): [string, Operation] => [`${method.toUpperCase()} ${path}`, operation]),
	);
}

describe("GET /api/openapi.json", () => {
	it("documents every route the app serves, and only those", async () => {
		const document = await openApi();
		expect(servedRoutes().length).toBeGreaterThan(10);
		expect(documentedRoutes(document)).toEqual(servedRoutes());
	});

	it("is OpenAPI 3.1 with info, the request's origin as server and the three security schemes", async () => {
		const document = await openApi();
		expect(document.openapi).toBe("3.1.0");
		expect(document.info.title).toBe("DataPool Ingest API");
		expect(document.info.version).toMatch(/^\d+\.\d+\.\d+/);
		expect(document.servers).toEqual([{ url: "http://datapool.test", description: "This deployment." }]);
		expect(Object.keys(document.components.securitySchemes).sort()).toEqual(["AdminToken", "IngestKey", "RendererToken"]);
		for (const scheme of Object.values(document.components.securitySchemes)) expect(scheme).toMatchObject({ type: "http", scheme: "bearer" });
	});

	it("lists every error code, a 500 and X-Request-Id on every operation, and 401 wherever credentials are needed", async () => {
		const document = await openApi();
		const code = document.components.schemas.Error?.properties?.error?.properties?.code;
		expect(code?.enum).toEqual([...ERROR_CODES]);
		for (const [name, operation] of operations(document)) {
			expect(operation.responses["500"], name).toBeDefined();
			if (operation.security?.length) expect(operation.responses["401"], name).toBeDefined();
			for (const [status, response] of Object.entries(operation.responses)) {
				if (response.$ref === "#/components/responses/InternalError") continue;
				expect(response.headers?.["X-Request-Id"], `${name} ${status}`).toBeDefined();
			}
		}
		expect(document.components.responses.InternalError?.content?.["application/json"]?.schema).toEqual({
			$ref: "#/components/schemas/Error",
		});
	});

	it("describes the ingest contract: its statuses, request headers and response headers", async () => {
		const document = await openApi();
		for (const path of ["/api/ingest", "/api/ingest/{stream}"]) {
			const operation = document.paths[path]?.post;
			if (!operation) throw new Error(`${path} is not documented`);
			expect(operation.security).toEqual([{ IngestKey: [] }]);
			expect(Object.keys(operation.responses).sort()).toEqual(["202", "400", "401", "404", "413", "422", "429", "500"]);
			const headers = (operation.parameters ?? []).filter((p) => p.in === "header").map((p) => p.name);
			expect(headers).toEqual(expect.arrayContaining(["Idempotency-Key", "X-Item-Key", "Content-Encoding"]));
			const rateLimit = ["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"];
			expect(Object.keys(operation.responses["202"]?.headers ?? {})).toEqual(
				expect.arrayContaining([...rateLimit, "Idempotent-Replayed", "X-Request-Id"]),
			);
			expect(Object.keys(operation.responses["429"]?.headers ?? {})).toEqual(expect.arrayContaining([...rateLimit, "Retry-After"]));
			expect(Object.keys(operation.requestBody?.content ?? {})).toEqual(["application/json", "application/x-ndjson"]);
		}
	});

	it("names the origin each request came from, even after the document was built for another", async () => {
		await openApi("http://first.test");
		const document = await openApi("https://ingest.example.com");
		expect(document.servers[0]?.url).toBe("https://ingest.example.com");
	});
});

describe("GET /docs", () => {
	it("serves the API reference page, loading its script from this Worker rather than a CDN", async () => {
		const response = await call("/docs");
		expect(response.status).toBe(200);
		expect(response.headers.get("Content-Type")).toMatch(/^text\/html/);
		const html = await response.text();
		const sources = [...html.matchAll(/<script[^>]*\ssrc="([^"]+)"/g)].map((match) => match[1]);
		expect(sources).toEqual(["/docs/scalar.js"]);
		expect(html).not.toMatch(/\bimport\s.*https?:\/\//);
		expect(html).toContain('"url": "/api/openapi.json"');
		expect(html).toContain('"withDefaultFonts": false');

		const script = await call("/docs/scalar.js");
		expect(script.status).toBe(200);
		expect(script.headers.get("Content-Type")).toMatch(/^text\/javascript/);
		expect(await script.text()).toContain("createApiReference");
	});
});
