import type { OpenAPIHono } from "@hono/zod-openapi";

/** Per-request values every handler can read with `c.get(...)`. */
export interface RequestVariables {
	requestId: string;
	/** When the edge received the request (ms since epoch): the stamp for last-writer-wins. */
	receivedAt: number;
}

/** The Hono environment of this app. */
export interface AppEnv {
	Bindings: Env;
	Variables: RequestVariables;
}

/** A router of this app (one per resource, mounted with `app.route`). */
export type Router = OpenAPIHono<AppEnv>;
