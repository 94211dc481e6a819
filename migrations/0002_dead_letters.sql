-- Queue messages that exhausted their retries, kept until an admin replays them
-- (POST /api/admin/dead-letters/replay). One row per part of a request.
CREATE TABLE dead_letters (
	request_id TEXT NOT NULL,
	part INTEGER NOT NULL,
	parts INTEGER NOT NULL,
	connector_id TEXT NOT NULL,
	stream TEXT NOT NULL,
	message TEXT NOT NULL,
	dead_at TEXT NOT NULL,
	replayed_at TEXT,
	PRIMARY KEY (request_id, part)
);
CREATE INDEX dead_letters_by_connector ON dead_letters (connector_id, dead_at);
