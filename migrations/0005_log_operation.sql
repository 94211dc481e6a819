-- What each logged request's items did to the stream: its X-Ingest-Mode (upsert, delete or replace).
-- Entries from before modes existed were upserts.
ALTER TABLE connector_logs ADD COLUMN operation TEXT NOT NULL DEFAULT 'upsert';
