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
		// Test servers only: not part of the published API.
		hide: true,
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

faults.openapi(
	createRoute({
		method: "get",
		path: "/{stream}/faults",
		tags: ["Testing"],
		// Test servers only: not part of the published API.
		hide: true,
		security: [{ AdminToken: [] }],
		summary: "The faults armed in a stream, with the strikes they have left (test servers only)",
		request: { params: StreamParams },
		responses: { 200: jsonResponse(envelope(z.array(Fault)), "Every fault armed in the stream."), ...errorResponses(401, 404) },
	}),
	async (c) => c.json(ok(await streamStub(c.env, c.req.valid("param").stream).listFaults()), 200),
);

faults.openapi(
	createRoute({
		method: "delete",
		path: "/{stream}/faults",
		tags: ["Testing"],
		// Test servers only: not part of the published API.
		hide: true,
		security: [{ AdminToken: [] }],
		summary: "Disarm every fault of a stream (test servers only)",
		request: { params: StreamParams },
		responses: { 200: jsonResponse(envelope(z.array(Fault)), "No fault is armed any more."), ...errorResponses(401, 404) },
	}),
	async (c) => {
		await streamStub(c.env, c.req.valid("param").stream).clearFaults();
		return c.json(ok([]), 200);
	},
);
