import { createMiddleware } from "hono/factory";
import { newRequestId } from "../../model/ids";
import type { AppEnv } from "./context";

/** Gives every request an id and a receive stamp, and every response `X-Request-Id`. */
export const requestId = createMiddleware<AppEnv>(async function requestId(c, next) {
	const receivedAt = Date.now();
	const id = newRequestId(receivedAt);
	c.set("requestId", id);
	c.set("receivedAt", receivedAt);
	await next();
	try {
		c.res.headers.set("X-Request-Id", id);
	} catch {
		// A WebSocket upgrade response has immutable headers; copy it to add ours.
		c.res = new Response(c.res.body, c.res);
		c.res.headers.set("X-Request-Id", id);
	}
});
