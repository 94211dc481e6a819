// The API's shapes as the dashboard reads them (see CONTRACT.md and src/admin/schemas.ts).

export const LOG_STATUSES = ["queued", "processed", "duplicate", "rejected", "failed"] as const;
export type LogStatus = (typeof LOG_STATUSES)[number];

export interface RateLimit {
	requests: number;
	period_seconds: number;
}

export interface Connector {
	id: string;
	name: string;
	stream: string;
	item_key: string | null;
	rate_limit: RateLimit | null;
	created_at: string;
	updated_at: string;
}

export interface ConnectorStats {
	active_keys: number;
	revoked_keys: number;
	last_request_at: string | null;
	last_24h: Record<LogStatus, number>;
}

export interface ListedConnector extends Connector {
	stats: ConnectorStats;
}

export interface IngestKey {
	id: string;
	prefix: string;
	created_at: string;
	revoked_at: string | null;
}

export interface CreatedKey {
	id: string;
	key: string;
	prefix: string;
	created_at: string;
}

export interface ConnectorWithKeys extends Connector {
	keys: IngestKey[];
}

export interface LogEntry {
	request_id: string;
	received_at: string;
	items_received: number;
	status: LogStatus;
	error: string | null;
	idempotency_key: string | null;
	http_status?: number | null;
}

export interface LogPage {
	data: LogEntry[];
	next_cursor: string | null;
}

export interface StreamItem {
	key: string;
	value: Record<string, unknown>;
	seq: number;
	updated_at: string;
}

export interface Snapshot {
	stream: string;
	seq: number;
	items: StreamItem[];
	/** With `since`: true when `items` and `removed` are only the changes, false when this is a full snapshot. */
	resumed?: boolean;
	removed?: string[];
}
