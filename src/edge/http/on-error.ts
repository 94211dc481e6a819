import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { newRequestId } from "../../model/ids";
import { logError } from "../../model/log";
import type { AppEnv } from "./context";
import { ApiError, type ErrorCode } from "../../model/errors";

const HTTP_EXCEPTION_CODES: Partial<Record<number, ErrorCode>> = {
	400: "INVALID_PAYLOAD",
	401: "UNAUTHORIZED",
	404: "NOT_FOUND",
	405: "METHOD_NOT_ALLOWED",
	413: "PAYLOAD_TOO_LARGE",
};

function fromHttpException(error: HTTPException): ApiError | null {
	// Hono's validators answer 415 for a missing or foreign Content-Type; the contract calls that a bad payload.
	if (error.status === 415) return new ApiError(400, "INVALID_PAYLOAD", "Content-Type must be application/json.");
	const code = HTTP_EXCEPTION_CODES[error.status];
	return code ? new ApiError(error.status, code, error.message || code) : null;
}

/** `app.onError`: every error becomes the contract's envelope; unknown ones are logged and become 500. */
export function onError(error: Error, c: Context<AppEnv>): Response {
	const requestId = c.get("requestId") ?? newRequestId();
	if (error instanceof ApiError) return error.toResponse(requestId);
	const mapped = error instanceof HTTPException ? fromHttpException(error) : null;
	if (mapped) return mapped.toResponse(requestId);
	logError("unhandled error", error, { request_id: requestId, method: c.req.method, path: c.req.path });
	return new ApiError(500, "INTERNAL_ERROR", "An unexpected error occurred.").toResponse(requestId);
}

/** `app.notFound`: unknown routes in the envelope. */
export function onNotFound(c: Context<AppEnv>): Response {
	const requestId = c.get("requestId") ?? newRequestId();
	return new ApiError(404, "NOT_FOUND", `No route for ${c.req.method} ${c.req.path}.`).toResponse(requestId);
}
