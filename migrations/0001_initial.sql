-- Streams exist once a connector names them.
CREATE TABLE streams (
	name TEXT PRIMARY KEY,
	created_at TEXT NOT NULL
);

CREATE TABLE connectors (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	stream TEXT NOT NULL REFERENCES streams (name),
	item_key TEXT,
	rate_limit_requests INTEGER,
	rate_limit_period_seconds INTEGER,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE INDEX connectors_by_stream ON connectors (stream);

-- Only the SHA-256 of a key is stored; `prefix` is what the dashboard shows.
CREATE TABLE ingest_keys (
	id TEXT PRIMARY KEY,
	connector_id TEXT NOT NULL REFERENCES connectors (id),
	key_hash TEXT NOT NULL UNIQUE,
	prefix TEXT NOT NULL,
	created_at TEXT NOT NULL,
	revoked_at TEXT
);
CREATE INDEX ingest_keys_by_connector ON ingest_keys (connector_id);

CREATE TABLE renderer_tokens (
	id TEXT PRIMARY KEY,
	stream TEXT NOT NULL REFERENCES streams (name),
	token_hash TEXT NOT NULL UNIQUE,
	prefix TEXT NOT NULL,
	created_at TEXT NOT NULL,
	revoked_at TEXT
);
CREATE INDEX renderer_tokens_by_stream ON renderer_tokens (stream);

CREATE TABLE connector_logs (
	request_id TEXT PRIMARY KEY,
	connector_id TEXT NOT NULL,
	received_at TEXT NOT NULL,
	items_received INTEGER NOT NULL,
	status TEXT NOT NULL CHECK (status IN ('queued', 'processed', 'duplicate', 'rejected', 'failed')),
	error TEXT,
	idempotency_key TEXT,
	http_status INTEGER,
	updated_at TEXT NOT NULL
);
CREATE INDEX connector_logs_by_connector ON connector_logs (connector_id, received_at DESC, request_id DESC);
CREATE INDEX connector_logs_by_status ON connector_logs (connector_id, status, received_at DESC, request_id DESC);
CREATE INDEX connector_logs_by_age ON connector_logs (received_at);
