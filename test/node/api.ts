// The admin, ingest and read API of the real `npm start` server, as Node-side tests use it.
import { inject } from "vitest";
import { eventually as poll } from "../shared/eventually";

/** Polls until `check` passes (30 s: a real server under a whole test run can be slow). */
export const eventually = <T>(check: () => T | Promise<T>, timeoutMs = 30_000) => poll(check, timeoutMs);

export const serverUrl = () => inject("serverUrl");

function adminHeaders(): Record<string, string> {
	return { Authorization: `Bearer ${inject("adminToken")}`, "Content-Type": "application/json" };
}

async function data<T>(response: Response, status: number): Promise<T> {
	const text = await response.text();
	if (response.status !== status) throw new Error(`Expected ${status}, got ${response.status}: ${text}`);
	const body: { data: T } = JSON.parse(text);
	return body.data;
}

/** Calls the admin API with the server's admin token; throws on an unexpected status. */
export async function adminCall<T>(path: string, init: { method?: string; body?: unknown } = {}, expected = 200): Promise<T> {
	const response = await fetch(`${serverUrl()}/api/admin${path}`, {
		method: init.method ?? (init.body === undefined ? "GET" : "POST"),
		headers: adminHeaders(),
		body: init.body === undefined ? undefined : JSON.stringify(init.body),
	});
	return data<T>(response, expected);
}

/** A fresh stream name. */
export function freshStream(prefix: string): string {
	return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

/** Creates a connector and one ingest key for it. */
export async function connectorWithKey(options: {
	stream: string;
	item_key?: string;
	rate_limit?: { requests: number; period_seconds: number };
}) {
	const connector = await adminCall<{ id: string }>("/connectors", { body: { name: `Node test ${options.stream}`, ...options } }, 201);
	const key = await adminCall<{ key: string }>(`/connectors/${connector.id}/keys`, { method: "POST" }, 201);
	return { id: connector.id, stream: options.stream, key: key.key };
}

/** A new connector on a fresh stream, with an ingest key and a renderer token. */
export async function setupStream(options: { item_key?: string; rate_limit?: { requests: number; period_seconds: number } } = {}) {
	const connector = await connectorWithKey({ stream: freshStream("node"), ...options });
	const token = await adminCall<{ token: string }>(`/streams/${connector.stream}/tokens`, { method: "POST" }, 201);
	return { stream: connector.stream, connectorId: connector.id, key: connector.key, rendererToken: token.token };
}

export interface StreamItem {
	key: string;
	value: Record<string, unknown>;
	seq: number;
}

/** The stream's items, read with the admin token. */
export async function snapshot(stream: string): Promise<{ seq: number; items: StreamItem[] }> {
	return data(await fetch(`${serverUrl()}/api/streams/${stream}/items`, { headers: adminHeaders() }), 200);
}

export interface LogEntry {
	request_id: string;
	status: string;
	items_received: number;
	idempotency_key: string | null;
}

/** Every log entry of a connector (up to 200), newest first. */
export async function connectorLogs(id: string): Promise<LogEntry[]> {
	return data(await fetch(`${serverUrl()}/api/admin/connectors/${id}/logs?limit=200`, { headers: adminHeaders() }), 200);
}

/** Posts items to the ingest endpoint; returns the response. */
export function ingestItems(key: string, items: unknown, base = serverUrl()): Promise<Response> {
	return fetch(`${base}/api/ingest`, {
		method: "POST",
		headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
		body: JSON.stringify(items),
	});
}
