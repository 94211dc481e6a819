import { Hono } from "hono";
import type { AppEnv } from "../http/context";

/**
 * Locks the dashboard to its own origin: every script, style and request is the
 * Worker's own (no CDN can be loaded even by mistake), and no other site can frame it.
 */
const SECURITY_HEADERS: Record<string, string> = {
	"Content-Security-Policy": [
		"default-src 'self'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src 'self' data:",
		"connect-src 'self'",
		"object-src 'none'",
		"base-uri 'none'",
		"form-action 'self'",
		"frame-ancestors 'none'",
	].join("; "),
	"X-Content-Type-Options": "nosniff",
	"Referrer-Policy": "no-referrer",
};

/**
 * The Data Sources dashboard (the static files built from src/web, and index.html for
 * its client-side routes) and the renderers' client module at /client/stream-client.js.
 */
export const dashboard = new Hono<AppEnv>();

dashboard.get("*", async (c) => {
	// Unknown API paths stay the API's JSON 404s; everything else belongs to the dashboard.
	if (c.req.path === "/api" || c.req.path.startsWith("/api/")) return c.notFound();
	const asset = await c.env.ASSETS.fetch(c.req.raw);
	const headers = new Headers(asset.headers);
	for (const [name, value] of Object.entries(SECURITY_HEADERS)) headers.set(name, value);
	// The renderers' client is a module other sites import; module scripts load cross-origin only with CORS.
	if (c.req.path.startsWith("/client/")) headers.set("Access-Control-Allow-Origin", "*");
	return new Response(asset.body, { status: asset.status, statusText: asset.statusText, headers });
});
