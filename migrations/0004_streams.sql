-- A stream is a row of its own (0001 created the table): it outlives its connectors
-- (DELETE /api/admin/connectors/:id keeps it) and goes only with
-- DELETE /api/admin/streams/:stream. `schema` is the stream's item schema as JSON
-- text, NULL when it has none.
ALTER TABLE streams ADD COLUMN schema TEXT;

-- Every stream a connector names has its row (createConnector has always inserted it;
-- this keeps databases where it did not honest).
INSERT OR IGNORE INTO streams (name, created_at, schema)
	SELECT stream, MIN(created_at), NULL FROM connectors GROUP BY stream;
