// Small admin/ingest helpers for Node-side tests against the `npm start` server.
import { inject } from "vitest";

export const serverUrl = () => inject("serverUrl");

/** Calls the admin API with the server's admin token; throws on an unexpected status. */
export async function adminCall<T>(path: string, init: { method?: string; body?: unknown } = {}, expected = 200): Promise<T> {
	const response = await fetch(`${serverUrl()}/api/admin${path}`, {
		method: init.method ?? (init.body === undefined ? "GET" : "POST"),
		headers: {
			Authorization: `Bearer ${inject("adminToken")}`,
			...(init.body === undefined ? {} : { "Content-Type": "application/json" }),
		},
		body: init.body === undefined ? undefined : JSON.stringify(init.body),
	});
	const text = await response.text();
	if (response.status !== expected) throw new Error(`${init.method ?? "GET"} ${path}: ${response.status} ${text}`);
	return (JSON.parse(text) as { data: T }).data;
}

/** A new connector on a fresh stream, with an ingest key and a renderer token. */
export async function setupStream(options: { item_key?: string; rate_limit?: { requests: number; period_seconds: number } } = {}) {
	const stream = `node-${crypto.randomUUID().slice(0, 12)}`;
	const connector = await adminCall<{ id: string }>(
		"/connectors",
		{ body: { name: `Node test ${stream}`, stream, item_key: options.item_key ?? null, rate_limit: options.rate_limit ?? null } },
		201,
	);
	const key = await adminCall<{ key: string }>(`/connectors/${connector.id}/keys`, { method: "POST" }, 201);
	const token = await adminCall<{ token: string }>(`/streams/${stream}/tokens`, { method: "POST" }, 201);
	return { stream, connectorId: connector.id, key: key.key, rendererToken: token.token };
}

/** The stream's snapshot, read with the admin token. */
export async function readStream(stream: string): Promise<{ seq: number; items: { key: string; value: Record<string, unknown>; seq: number }[] }> {
	const response = await fetch(`${serverUrl()}/api/streams/${stream}/items`, {
		headers: { Authorization: `Bearer ${inject("adminToken")}` },
	});
	if (!response.ok) throw new Error(`read ${stream}: ${response.status}`);
	return ((await response.json()) as { data: { seq: number; items: { key: string; value: Record<string, unknown>; seq: number }[] } }).data;
}

/** Posts items to the ingest endpoint; returns the response. */
export function ingestItems(key: string, items: unknown, base = serverUrl()): Promise<Response> {
	return fetch(`${base}/api/ingest`, {
		method: "POST",
		headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
		body: JSON.stringify(items),
	});
}

/** Polls until `check` passes. */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 15_000): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		try {
			return await check();
		} catch (error) {
			if (Date.now() > deadline) throw error;
			await new Promise((resolve) => setTimeout(resolve, 20));
		}
	}
}
