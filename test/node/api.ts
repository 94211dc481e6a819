// The admin and read API of the real server, as Node-side tests use it.
import { inject } from "vitest";

function adminHeaders(): Record<string, string> {
	return { Authorization: `Bearer ${inject("adminToken")}`, "Content-Type": "application/json" };
}

async function data<T>(response: Response, status: number): Promise<T> {
	const text = await response.text();
	if (response.status !== status) throw new Error(`Expected ${status}, got ${response.status}: ${text}`);
	const body: { data: T } = JSON.parse(text);
	return body.data;
}

/** A fresh stream name. */
export function freshStream(prefix: string): string {
	return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

/** Creates a connector and one ingest key for it. */
export async function connectorWithKey(options: { stream: string; item_key?: string; rate_limit?: { requests: number; period_seconds: number } }) {
	const url = inject("serverUrl");
	const connector = await data<{ id: string }>(
		await fetch(`${url}/api/admin/connectors`, {
			method: "POST",
			headers: adminHeaders(),
			body: JSON.stringify({ name: `SDK test ${options.stream}`, ...options }),
		}),
		201,
	);
	const key = await data<{ key: string }>(
		await fetch(`${url}/api/admin/connectors/${connector.id}/keys`, { method: "POST", headers: adminHeaders() }),
		201,
	);
	return { id: connector.id, stream: options.stream, key: key.key };
}

export interface StreamItem {
	key: string;
	value: Record<string, unknown>;
	seq: number;
}

/** The stream's items, read with the admin token. */
export async function snapshot(stream: string): Promise<{ seq: number; items: StreamItem[] }> {
	return data(await fetch(`${inject("serverUrl")}/api/streams/${stream}/items`, { headers: adminHeaders() }), 200);
}

export interface LogEntry {
	request_id: string;
	status: string;
	items_received: number;
	idempotency_key: string | null;
}

/** Every log entry of a connector, newest first. */
export async function connectorLogs(id: string): Promise<LogEntry[]> {
	return data(await fetch(`${inject("serverUrl")}/api/admin/connectors/${id}/logs?limit=200`, { headers: adminHeaders() }), 200);
}

/** Retries `check` until it passes: the queue consumer applies items on its own schedule. */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		try {
			return await check();
		} catch (error) {
			if (Date.now() > deadline) throw error;
			await new Promise((resolve) => setTimeout(resolve, 100));
		}
	}
}
