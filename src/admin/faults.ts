import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import { config } from "../core/config";
import type { AppEnv } from "../http/context";
import { envelope, errorResponses, jsonResponse, ok } from "../http/envelope";
import { onNotFound } from "../http/on-error";
import { validationHook } from "../http/validation";
import { StreamParams } from "./schemas";
import { Fault } from "../streams/fault-switch";
import { streamStub } from "../streams/stub";

/** Arming injected faults, for the reliability suite. Only with FAULT_INJECTION="1", which wrangler.toml never sets. */
export const faults = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

// Scoped to its own path: this router is mounted beside the other /streams routes.
faults.use(
	"/:stream/faults",
	createMiddleware<AppEnv>(async function faultInjectionOnly(c, next) {
		// Switched off, the route answers exactly like any unknown route.
		if (!config(c.env).FAULT_INJECTION) return onNotFound(c);
		await next();
	}),
);

faults.openapi(
	createRoute({
		method: "post",
		path: "/{stream}/faults",
		tags: ["Testing"],
		security: [{ AdminToken: [] }],
		summary: "Arm an injected fault in a stream (test servers only)",
		request: { params: StreamParams, body: { required: true, content: { "application/json": { schema: Fault } } } },
		responses: { 201: jsonResponse(envelope(z.array(Fault)), "Every fault now armed in the stream."), ...errorResponses(400, 401, 404) },
	}),
	async (c) => {
		const { stream } = c.req.valid("param");
		return c.json(ok(await streamStub(c.env, stream).armFault(c.req.valid("json"))), 201);
	},
);
