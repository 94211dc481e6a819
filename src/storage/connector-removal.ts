import { deleteLogsOf } from "./connector-logs";
import { type Connector, type ConnectorRow, deleteConnectorsStatement, toConnector } from "./connectors";
import { deleteIngestKeysOf } from "./ingest-keys";

/**
 * Deletes connectors with their keys and logs, in one transaction; returns the ones
 * that were deleted. Their stream (its row, items and renderer tokens) stays. Key
 * lookups join connectors, so no isolate finds a deleted connector's key in D1 again.
 */
export async function deleteConnectors(db: D1Database, ids: string[]): Promise<Connector[]> {
	if (ids.length === 0) return [];
	const idList = JSON.stringify(ids);
	// Keys first: they reference their connector.
	const results = await db.batch<ConnectorRow>([
		deleteIngestKeysOf(db, idList),
		deleteLogsOf(db, idList),
		deleteConnectorsStatement(db, idList),
	]);
	return (results[2]?.results ?? []).map(toConnector);
}
