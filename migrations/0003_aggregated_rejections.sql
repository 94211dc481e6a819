-- A rate-limited (429) log entry stands for every request one isolate refused for its
-- connector in one short window: `request_count` of them, the window ending at
-- `window_ends_at`. Every other entry stands for one request.
ALTER TABLE connector_logs ADD COLUMN request_count INTEGER NOT NULL DEFAULT 1;
ALTER TABLE connector_logs ADD COLUMN window_ends_at TEXT;
