import { z } from "@hono/zod-openapi";
import { ERROR_CODES } from "../../model/errors";

/** The success envelope, `{"success": true, "data": …}`. */
export function ok<T>(data: T): { success: true; data: T } {
	return { success: true, data };
}

/** OpenAPI schema of a success envelope around `data`. */
export function envelope<T extends z.ZodType>(data: T) {
	return z.object({ success: z.literal(true), data });
}

export const ErrorDetail = z
	.object({
		path: z.array(z.union([z.string(), z.number()])).openapi({ example: [3, "id"] }),
		message: z.string(),
		index: z.number().int().optional().openapi({ description: "The offending array index, for item errors." }),
	})
	.openapi("ErrorDetail");

export const ErrorEnvelope = z
	.object({
		success: z.literal(false),
		error: z.object({
			code: z.enum(ERROR_CODES).openapi({
				example: "INVALID_PAYLOAD",
				description: "Machine-readable; clients should treat a code they do not know by its HTTP status.",
			}),
			message: z.string(),
			details: z.array(ErrorDetail).optional(),
		}),
		request_id: z.string().openapi({ example: "req_01jd2k3m4n5p6q7r8s9t0v1w2x" }),
	})
	.openapi("Error");

const DESCRIPTIONS: Record<number, string> = {
	400: "Invalid request (INVALID_PAYLOAD).",
	401: "Missing or wrong credentials (UNAUTHORIZED).",
	404: "Not found (STREAM_NOT_FOUND, CONNECTOR_NOT_FOUND, KEY_NOT_FOUND, TOKEN_NOT_FOUND, ITEM_NOT_FOUND or NOT_FOUND).",
	409: "In use (STREAM_IN_USE).",
	413: "Body over 1 MB (PAYLOAD_TOO_LARGE).",
	422: "Idempotency-Key reused with a different body (IDEMPOTENCY_KEY_REUSED).",
	426: "Not a WebSocket upgrade (UPGRADE_REQUIRED).",
	429: "Rate limit exceeded (RATE_LIMITED).",
	500: "Unexpected failure (INTERNAL_ERROR).",
};

/** OpenAPI `responses` entries for the given error statuses, all in the error envelope. */
export function errorResponses<S extends number>(...statuses: S[]) {
	const out = {} as Record<S, { description: string; content: { "application/json": { schema: typeof ErrorEnvelope } } }>;
	for (const status of statuses) {
		out[status] = {
			description: DESCRIPTIONS[status] ?? "Error.",
			content: { "application/json": { schema: ErrorEnvelope } },
		};
	}
	return out;
}

/** A JSON response entry for OpenAPI. */
export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
	return { description, content: { "application/json": { schema } } };
}
