import type { ContentfulStatusCode } from "hono/utils/http-status";

/** Machine-readable error codes; the contract's ingest codes plus the admin and routing ones. */
export const ERROR_CODES = [
	"INVALID_PAYLOAD",
	"UNAUTHORIZED",
	"STREAM_NOT_FOUND",
	"CONNECTOR_NOT_FOUND",
	"KEY_NOT_FOUND",
	"TOKEN_NOT_FOUND",
	"ITEM_NOT_FOUND",
	"NOT_FOUND",
	"METHOD_NOT_ALLOWED",
	"UPGRADE_REQUIRED",
	"STREAM_IN_USE",
	"PAYLOAD_TOO_LARGE",
	"IDEMPOTENCY_KEY_REUSED",
	"RATE_LIMITED",
	"INTERNAL_ERROR",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** One entry of `error.details`: where the problem is and what it is. */
export interface ErrorDetail {
	path: (string | number)[];
	message: string;
	index?: number;
}

/** The one error type of the API: thrown anywhere, rendered by `app.onError`. */
export class ApiError extends Error {
	constructor(
		readonly status: ContentfulStatusCode,
		readonly code: ErrorCode,
		message: string,
		readonly details?: ErrorDetail[],
		readonly headers?: Record<string, string>,
	) {
		super(message);
		this.name = "ApiError";
	}

	/** The contract's error envelope as a JSON response. */
	toResponse(requestId: string): Response {
		const error: { code: ErrorCode; message: string; details?: ErrorDetail[] } = {
			code: this.code,
			message: this.message,
		};
		if (this.details !== undefined) error.details = this.details;
		return Response.json(
			{ success: false, error, request_id: requestId },
			{ status: this.status, headers: { ...this.headers, "X-Request-Id": requestId } },
		);
	}
}

export const unauthorized = (message = "A valid bearer token is required.") =>
	new ApiError(401, "UNAUTHORIZED", message);

export const invalidPayload = (message: string, details?: ErrorDetail[]) =>
	new ApiError(400, "INVALID_PAYLOAD", message, details);
