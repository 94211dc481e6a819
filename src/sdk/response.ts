import { DataPoolError, type DataPoolErrorDetail } from "./errors.ts";
import { isRetryableStatus, parseRetryAfter } from "./retry-policy.ts";
import type { IngestResult } from "./types.ts";

const isRecord = (value: unknown): value is Record<string, unknown> =>
	typeof value === "object" && value !== null && !Array.isArray(value);

function parseJson(text: string): unknown {
	try {
		return JSON.parse(text);
	} catch {
		return undefined;
	}
}

function readDetails(value: unknown): DataPoolErrorDetail[] {
	if (!Array.isArray(value)) return [];
	return value.filter(isRecord).map((detail) => ({
		path: Array.isArray(detail.path) ? detail.path.filter((p): p is string | number => typeof p === "string" || typeof p === "number") : [],
		message: typeof detail.message === "string" ? detail.message : "",
		...(typeof detail.index === "number" ? { index: detail.index } : {}),
	}));
}

/** The error an unsuccessful answer stands for, read from the contract's error envelope when there is one. */
export function errorFromResponse(response: Response, text: string): DataPoolError {
	const body = parseJson(text);
	const error = isRecord(body) && isRecord(body.error) ? body.error : null;
	const requestId = (isRecord(body) && typeof body.request_id === "string" ? body.request_id : null) ?? response.headers.get("X-Request-Id");
	const init = {
		status: response.status,
		requestId,
		retryAfter: parseRetryAfter(response.headers.get("Retry-After")),
		retryable: isRetryableStatus(response.status),
	};
	if (error && typeof error.code === "string") {
		const message = typeof error.message === "string" ? error.message : error.code;
		return new DataPoolError(message, { ...init, code: error.code, details: readDetails(error.details) });
	}
	return new DataPoolError(`HTTP ${response.status} without the API's error envelope.`, { ...init, code: "UNEXPECTED_RESPONSE" });
}

/** Reads a 2xx answer of the ingest endpoint; anything but the contract's success envelope is an error. */
export function resultFromResponse(response: Response, text: string): IngestResult {
	const body = parseJson(text);
	const data = isRecord(body) && body.success === true && isRecord(body.data) ? body.data : null;
	if (!data || typeof data.stream !== "string" || typeof data.items_received !== "number" || typeof data.request_id !== "string") {
		throw new DataPoolError(`HTTP ${response.status} with a body that is not the ingest answer.`, {
			code: "UNEXPECTED_RESPONSE",
			status: response.status,
			requestId: response.headers.get("X-Request-Id"),
		});
	}
	return {
		stream: data.stream,
		items_received: data.items_received,
		request_id: data.request_id,
		replayed: response.headers.get("Idempotent-Replayed") === "true",
	};
}
