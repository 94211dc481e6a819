// The admin, ingest and read API of one server, by its URL and admin token: the crash test runs servers of its own,
// which test/node/api.ts (bound to the suite's server through inject) cannot reach.
import { execFileSync } from "node:child_process";
import type { StoredItem } from "./reconcile.ts";

export interface LogEntry {
	request_id: string;
	status: string;
	items_received: number;
	error: string | null;
}

/** What a paged read of a whole stream found: its seq when the last page was read, and every item. */
export interface StreamContents {
	seq: number;
	items: StoredItem[];
}

export class ServerApi {
	readonly url: string;
	readonly adminToken: string;

	constructor(url: string, adminToken: string) {
		this.url = url;
		this.adminToken = adminToken;
	}

	#headers(): Record<string, string> {
		return { Authorization: `Bearer ${this.adminToken}`, "Content-Type": "application/json" };
	}

	async #data<T>(path: string, init: { method?: string; body?: unknown } = {}, expected = 200): Promise<T> {
		const response = await fetch(`${this.url}${path}`, {
			method: init.method ?? (init.body === undefined ? "GET" : "POST"),
			headers: this.#headers(),
			body: init.body === undefined ? undefined : JSON.stringify(init.body),
		});
		const text = await response.text();
		if (response.status !== expected) throw new Error(`${path}: expected ${expected}, got ${response.status}: ${text.slice(0, 500)}`);
		return (JSON.parse(text) as { data: T }).data;
	}

	/** A connector on a fresh stream with an ingest key; its rate limit never gets in a flood's way. */
	async connector(prefix: string, itemKey?: string): Promise<{ id: string; stream: string; key: string }> {
		const stream = `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
		const body = { name: `Reliability ${stream}`, stream, rate_limit: { requests: 1_000_000, period_seconds: 1 }, ...(itemKey ? { item_key: itemKey } : {}) };
		const connector = await this.#data<{ id: string }>("/api/admin/connectors", { body }, 201);
		const key = await this.#data<{ key: string }>(`/api/admin/connectors/${connector.id}/keys`, { method: "POST" }, 201);
		return { id: connector.id, stream, key: key.key };
	}

	/** Posts a body already serialised; returns the status and the request id of a 202. */
	async ingest(key: string, body: string): Promise<{ status: number; requestId: string | null }> {
		const response = await fetch(`${this.url}/api/ingest`, {
			method: "POST",
			headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
			body,
		});
		const text = await response.text();
		if (response.status !== 202) return { status: response.status, requestId: null };
		const answer = JSON.parse(text) as { data?: { request_id?: string } };
		return { status: response.status, requestId: answer.data?.request_id ?? null };
	}

	/** The whole stream, read page by page (`?after=&limit=`) as a renderer catching up would. */
	async readStream(stream: string, pageSize = 20_000): Promise<StreamContents> {
		const items: StoredItem[] = [];
		let after = 0;
		let seq = 0;
		for (;;) {
			const page = await this.#data<{ seq: number; items: StoredItem[]; next_after: number | null }>(
				`/api/streams/${stream}/items?after=${after}&limit=${pageSize}`,
			);
			items.push(...page.items);
			seq = page.seq;
			if (page.next_after === null) return { seq, items };
			after = page.next_after;
		}
	}

	/** Every log entry of a connector, newest first, following the cursor. */
	async logs(connectorId: string): Promise<LogEntry[]> {
		const entries: LogEntry[] = [];
		let cursor: string | null = null;
		do {
			const response = await fetch(`${this.url}/api/admin/connectors/${connectorId}/logs?limit=200${cursor ? `&cursor=${cursor}` : ""}`, {
				headers: this.#headers(),
			});
			const page = (await response.json()) as { data: LogEntry[]; next_cursor: string | null };
			entries.push(...page.data);
			cursor = page.next_cursor;
		} while (cursor);
		return entries;
	}

	/** The dead letters of a connector. */
	deadLetters(connectorId: string): Promise<unknown[]> {
		return this.#data<unknown[]>(`/api/admin/dead-letters?connector_id=${connectorId}`);
	}
}

/** Resident memory (MB) of the workerd processes in a server's process group; null if ps cannot tell. */
export function workerdRssMb(processGroup: number): number | null {
	try {
		const rows = execFileSync("ps", ["-eo", "pgid=,rss=,comm="], { encoding: "utf8" }).split("\n");
		let kb = 0;
		for (const row of rows) {
			const [pgid, rss, command] = row.trim().split(/\s+/);
			if (Number(pgid) === processGroup && command?.startsWith("workerd")) kb += Number(rss);
		}
		return kb > 0 ? Math.round(kb / 1024) : null;
	} catch {
		return null;
	}
}

/** Samples a value every `everyMs` until stopped; returns the highest seen. */
export function peakSampler(sample: () => number | null, everyMs = 500): { stop(): number | null } {
	let peak: number | null = null;
	const take = () => {
		const value = sample();
		if (value !== null && (peak === null || value > peak)) peak = value;
	};
	take();
	const timer = setInterval(take, everyMs);
	return {
		stop() {
			clearInterval(timer);
			take();
			return peak;
		},
	};
}
