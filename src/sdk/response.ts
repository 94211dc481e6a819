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

const isPathSegment = (value: unknown): value is string | number =>
	typeof value === "string" || (typeof value === "number" && Number.isFinite(value));

/**
 * One entry of `details`, or null when it has no text to show. The server is not
 * trusted with the shape: a path with anything but strings and numbers is dropped
 * (a partial path would name the wrong field), an index that is not a count too.
 */
function readDetail(value: unknown): DataPoolErrorDetail | null {
	if (!isRecord(value) || typeof value.message !== "string") return null;
	const path = Array.isArray(value.path) && value.path.every(isPathSegment) ? [...value.path] : [];
	const { index, message } = value;
	return typeof index === "number" && Number.isSafeInteger(index) && index >= 0 ? { index, path, message } : { path, message };
}

/** The envelope's `details`: its well-formed entries, `[]` when it is absent or not a list. */
function readDetails(value: unknown): DataPoolErrorDetail[] {
	if (!Array.isArray(value)) return [];
	return value.map(readDetail).filter((detail): detail is DataPoolErrorDetail => detail !== null);
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
