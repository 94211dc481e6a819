import type { Hook } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import type { z } from "zod";
import type { AppEnv } from "./context";
import { type ErrorDetail, invalidPayload } from "../../model/errors";

/** Turns zod issues into the envelope's `details`. */
export function zodDetails(error: z.ZodError): ErrorDetail[] {
	return error.issues.map((issue) => ({
		path: issue.path.map((segment) => (typeof segment === "symbol" ? String(segment) : segment)),
		message: issue.message,
	}));
}

/** The `defaultHook` of every router: a failed validation is `400 INVALID_PAYLOAD` with details. */
export const validationHook: Hook<unknown, AppEnv, string, unknown> = (result) => {
	if (!result.success) {
		const where = result.target === "json" ? "body" : result.target;
		throw invalidPayload(`The request ${where} is invalid.`, zodDetails(result.error));
	}
};

/**
 * Route middleware for a required JSON body whose schema takes `{}` (a PATCH of optional fields): the validator
 * reads a request without Content-Type and body as `{}`, so without this a PATCH with no body answered 200 and
 * changed nothing. A body the document requires must be there.
 */
export const requireJsonBody: MiddlewareHandler<AppEnv> = async (c, next) => {
	if (c.req.header("Content-Type") === undefined && (c.req.raw.body === null || (await c.req.raw.clone().arrayBuffer()).byteLength === 0)) {
		throw invalidPayload("A JSON body is required (Content-Type: application/json).");
	}
	await next();
};
