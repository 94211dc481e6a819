import type { Hook } from "@hono/zod-openapi";
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
