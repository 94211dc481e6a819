import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";
import type { StreamObject } from "../src/stream/stream-object";
import { streamStub } from "../src/stream/stub";
import { eventually } from "./shared/eventually";

export { eventually };

export const ADMIN_TOKEN = "test-admin-token";
const BASE = "http://datapool.test";

/** The error envelope, as tests read it. */
export interface ErrorBody {
	success: false;
	error: { code: string; message: string; details?: { index?: number; path: (string | number)[]; message: string }[] };
	request_id: string;
}

/** Calls the Worker under test. */
export function call(path: string, init: RequestInit = {}): Promise<Response> {
	return exports.default.fetch(new Request(`${BASE}${path}`, init));
}

/** Calls an admin route with the admin token and a JSON body. */
export function admin(path: string, init: { method?: string; body?: unknown; token?: string } = {}): Promise<Response> {
	const headers: Record<string, string> = { Authorization: `Bearer ${init.token ?? ADMIN_TOKEN}` };
	if (init.body !== undefined) headers["Content-Type"] = "application/json";
	return call(`/api/admin${path}`, {
		method: init.method ?? (init.body === undefined ? "GET" : "POST"),
		headers,
		body: init.body === undefined ? undefined : JSON.stringify(init.body),
	});
}

/** Reads a success envelope's data, failing the test on any other answer. */
export async function data<T>(response: Response, status = 200): Promise<T> {
	const text = await response.text();
	expect(response.status, text).toBe(status);
	const body = JSON.parse(text) as { success: boolean; data: T };
	expect(body.success).toBe(true);
	return body.data;
}

/** Reads an error envelope, checking status, code and the request id's agreement with the header. */
export async function failure(response: Response, status: number, code: string): Promise<ErrorBody> {
	const text = await response.text();
	expect(response.status, text).toBe(status);
	const body = JSON.parse(text) as ErrorBody;
	expect(body.success).toBe(false);
	expect(body.error.code).toBe(code);
	expect(typeof body.error.message).toBe("string");
	expect(body.request_id).toBe(response.headers.get("X-Request-Id"));
	return body;
}

export interface TestConnector {
	id: string;
	stream: string;
	key: string;
	keyId: string;
}

let streams = 0;

/** A fresh stream name, so tests in one file do not see each other's items. */
export function freshStream(prefix = "s"): string {
	streams += 1;
	return `${prefix}-${streams}-${crypto.randomUUID().slice(0, 8)}`;
}

/** Creates a connector with one ingest key. */
export async function connectorWithKey(
	options: { stream?: string; item_key?: string | null; rate_limit?: { requests: number; period_seconds: number } } = {},
): Promise<TestConnector> {
	const stream = options.stream ?? freshStream();
	const connector = await data<{ id: string }>(
		await admin("/connectors", {
			body: { name: `Connector for ${stream}`, stream, item_key: options.item_key ?? null, rate_limit: options.rate_limit ?? null },
		}),
		201,
	);
	const key = await data<{ id: string; key: string }>(await admin(`/connectors/${connector.id}/keys`, { method: "POST" }), 201);
	return { id: connector.id, stream, key: key.key, keyId: key.id };
}

/** Posts to the ingest endpoint. */
export function ingest(
	key: string,
	body: unknown,
	headers: Record<string, string> = {},
	path = "/api/ingest",
): Promise<Response> {
	return call(path, {
		method: "POST",
		headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json", ...headers },
		body: typeof body === "string" || body instanceof Uint8Array || body instanceof ReadableStream ? body : JSON.stringify(body),
	});
}

export interface Item {
	key: string;
	value: Record<string, unknown>;
	seq: number;
	updated_at: string;
}

/** The stream's snapshot through the HTTP API. */
export async function snapshot(stream: string, query = ""): Promise<{ stream: string; seq: number; items: Item[] }> {
	return data(await call(`/api/streams/${stream}/items${query}`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } }));
}

export interface LogEntry {
	request_id: string;
	received_at: string;
	items_received: number;
	status: string;
	error: string | null;
	idempotency_key: string | null;
}

/** A connector's log entries, newest first. */
export async function logs(connectorId: string, query = ""): Promise<LogEntry[]> {
	return data<LogEntry[]>(await admin(`/connectors/${connectorId}/logs${query}`));
}

/**
 * A connector's log entries once its stream has written out every entry it holds:
 * the stream writes decided requests' entries to D1 on its own schedule (its log outbox).
 */
export async function flushedLogs(connector: { id: string; stream: string }, query = ""): Promise<LogEntry[]> {
	await eventually(async () => {
		const pending = await runInDurableObject(
			streamStub(env, connector.stream),
			(_instance: StreamObject, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM log_outbox").one().n,
		);
		expect(pending).toBe(0);
	});
	return logs(connector.id, query);
}
