import { savedToken } from "./session";

/** One entry of an error envelope's `details`. */
export interface ErrorDetail {
	path: (string | number)[];
	message: string;
}

/** An error answer of the API (or no answer at all, with status 0). */
export class ApiError extends Error {
	constructor(
		readonly status: number,
		readonly code: string,
		message: string,
		readonly details: ErrorDetail[] = [],
	) {
		super(message);
		this.name = "ApiError";
	}
}

const unauthorizedListeners = new Set<() => void>();

/** Calls `listener` whenever the API refuses the admin token, so the app can ask to sign in again. */
export function onUnauthorized(listener: () => void): () => void {
	unauthorizedListeners.add(listener);
	return () => unauthorizedListeners.delete(listener);
}

interface Envelope {
	success: boolean;
	error?: { code?: string; message?: string; details?: ErrorDetail[] };
}

/**
 * Calls the API with the admin token and returns the whole success envelope.
 * The dashboard is served by the same Worker as the API it calls, so a success
 * body has the documented shape; error bodies are read defensively.
 */
export async function apiEnvelope<T>(
	path: string,
	init: { method?: string; body?: unknown; token?: string; signal?: AbortSignal } = {},
): Promise<T> {
	const token = init.token ?? savedToken() ?? "";
	const headers: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: "application/json" };
	if (init.body !== undefined) headers["Content-Type"] = "application/json";
	let response: Response;
	try {
		response = await fetch(path, {
			method: init.method ?? "GET",
			headers,
			body: init.body === undefined ? undefined : JSON.stringify(init.body),
			signal: init.signal,
			cache: "no-store",
		});
	} catch (error) {
		if (error instanceof DOMException && error.name === "AbortError") throw error;
		throw new ApiError(0, "NETWORK_ERROR", "The API could not be reached. Is the server running?");
	}
	const body: Envelope | null = await response.json().catch(() => null);
	if (response.ok && body?.success) return body as T;
	const error = new ApiError(
		response.status,
		body?.error?.code ?? "HTTP_ERROR",
		body?.error?.message ?? `The API answered ${response.status}.`,
		Array.isArray(body?.error?.details) ? body.error.details : [],
	);
	if (response.status === 401 && init.token === undefined) for (const listener of unauthorizedListeners) listener();
	throw error;
}

/** Calls the API with the admin token and returns the envelope's `data`. */
export async function api<T>(
	path: string,
	init: { method?: string; body?: unknown; token?: string; signal?: AbortSignal } = {},
): Promise<T> {
	return (await apiEnvelope<{ data: T }>(path, init)).data;
}

/** A readable message for anything a call threw. */
export function errorMessage(error: unknown): string {
	if (error instanceof ApiError) return error.message;
	return error instanceof Error ? error.message : String(error);
}
