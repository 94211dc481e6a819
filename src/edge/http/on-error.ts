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

/** A route as Hono lists it in `app.routes`: `GET /api/streams/:stream/items`. */
export interface RouteEntry {
	method: string;
	path: string;
}

/** `/api/streams/:stream/items` as a regular expression over request paths; wildcards and middleware are no route. */
function routePattern(path: string): RegExp | null {
	if (path.includes("*")) return null;
	const source = path
		.split(/(:[A-Za-z0-9_]+(?:\{[^}]*\})?)/)
		.map((part) => {
			const param = /^:[A-Za-z0-9_]+(?:\{([^}]*)\})?$/.exec(part);
			if (param) return param[1] ? `(?:${param[1]})` : "[^/]+";
			return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
		})
		.join("");
	return new RegExp(`^${source}/?$`);
}

const ALLOW_ORDER = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/**
 * `app.notFound`: unknown routes in the envelope. A path the API serves, asked with a method it does not
 * answer there (TRACE, PUT, POST on a read…), is 405 METHOD_NOT_ALLOWED with `Allow`, not 404.
 */
export function notFoundHandler(routes: () => readonly RouteEntry[]): (c: Context<AppEnv>) => Response {
	let table: { pattern: RegExp; method: string }[] | undefined;
	return function notFound(c) {
		const requestId = c.get("requestId") ?? newRequestId();
		table ??= routes().flatMap(({ method, path }) => {
			const pattern = method === "ALL" ? null : routePattern(path);
			return pattern ? [{ pattern, method }] : [];
		});
		const methods = new Set(table.filter(({ pattern }) => pattern.test(c.req.path)).map(({ method }) => method));
		if (methods.size > 0 && !methods.has(c.req.method)) {
			// Hono answers HEAD with its GET route; the CORS middleware answers OPTIONS on every /api path.
			if (methods.has("GET")) methods.add("HEAD");
			if (c.req.path.startsWith("/api/")) methods.add("OPTIONS");
			const allow = ALLOW_ORDER.filter((method) => methods.has(method)).join(", ");
			return new ApiError(405, "METHOD_NOT_ALLOWED", `${c.req.method} is not allowed on ${c.req.path}; allowed: ${allow}.`, undefined, {
				Allow: allow,
			}).toResponse(requestId);
		}
		return onNotFound(c);
	};
}

/** An unknown route in the envelope: 404 NOT_FOUND. */
export function onNotFound(c: Context<AppEnv>): Response {
	const requestId = c.get("requestId") ?? newRequestId();
	return new ApiError(404, "NOT_FOUND", `No route for ${c.req.method} ${c.req.path}.`).toResponse(requestId);
}
