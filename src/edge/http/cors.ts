import { createMiddleware } from "hono/factory";
import type { AppEnv } from "./context";

/** The API's CORS rules: clients post from browsers anywhere; credentials travel in headers, never cookies. */
const ALLOW_HEADERS = ["Authorization", "Content-Type", "Content-Encoding", "Idempotency-Key", "X-Item-Key", "X-Ingest-Mode"];
const ALLOW_METHODS = ["GET", "POST", "PATCH", "DELETE", "OPTIONS"];
const EXPOSE_HEADERS = ["X-Request-Id", "Idempotent-Replayed", "Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"];
const MAX_AGE_SECONDS = 86_400;

const allowOrigin = "*";
const expose = EXPOSE_HEADERS.join(",");
const preflight: [string, string][] = [
	["Access-Control-Allow-Origin", allowOrigin],
	["Access-Control-Expose-Headers", expose],
	["Access-Control-Max-Age", String(MAX_AGE_SECONDS)],
	["Access-Control-Allow-Methods", ALLOW_METHODS.join(",")],
	["Access-Control-Allow-Headers", ALLOW_HEADERS.join(",")],
	["Vary", "Access-Control-Request-Headers"],
];

/**
 * CORS for /api/*, answering as hono/cors did with these rules (test/integration/cors.test.ts), but adding its
 * headers to the response the route made instead of to a placeholder response made before the route ran:
 * hono's way cost every request an extra Response and a copy of its headers into the route's.
 */
export const cors = createMiddleware<AppEnv>(async function cors(c, next) {
	if (c.req.method === "OPTIONS") return new Response(null, { status: 204, statusText: "No Content", headers: preflight });
	await next();
	try {
		c.res.headers.set("Access-Control-Allow-Origin", allowOrigin);
		c.res.headers.set("Access-Control-Expose-Headers", expose);
	} catch {
		// A WebSocket upgrade response has immutable headers; copy it to add ours.
		c.res = new Response(c.res.body, c.res);
		c.res.headers.set("Access-Control-Allow-Origin", allowOrigin);
		c.res.headers.set("Access-Control-Expose-Headers", expose);
	}
});
