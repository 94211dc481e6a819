import type { LogStatus } from "./connector-logs";

/** What the Data Sources list shows of a connector's activity. */
export interface ConnectorStats {
	active_keys: number;
	revoked_keys: number;
	last_request_at: string | null;
	last_24h: Record<LogStatus, number>;
}

interface TotalsRow {
	id: string;
	active_keys: number;
	revoked_keys: number;
	last_request_at: string | null;
}

interface StatusCountRow {
	connector_id: string;
	status: LogStatus;
	count: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** The stats of a connector with no keys and no requests. */
export function noActivity(): ConnectorStats {
	return {
		active_keys: 0,
		revoked_keys: 0,
		last_request_at: null,
		last_24h: { queued: 0, processed: 0, duplicate: 0, rejected: 0, failed: 0 },
	};
}

/**
 * Key counts, the last request time and the last 24 h of log statuses of every
 * connector, by connector id (an aggregated rate-limited entry counts as the requests
 * it stands for). Two queries for the whole list, whatever the number
 * of connectors; both are served by the connector_logs indexes.
 */
export async function connectorStats(db: D1Database, now = Date.now()): Promise<Map<string, ConnectorStats>> {
	const since = new Date(now - DAY_MS).toISOString();
	const [totals, counts] = await Promise.all([
		db
			.prepare(
				`SELECT c.id,
				        (SELECT COUNT(*) FROM ingest_keys k WHERE k.connector_id = c.id AND k.revoked_at IS NULL) AS active_keys,
				        (SELECT COUNT(*) FROM ingest_keys k WHERE k.connector_id = c.id AND k.revoked_at IS NOT NULL) AS revoked_keys,
				        (SELECT MAX(received_at) FROM connector_logs l WHERE l.connector_id = c.id) AS last_request_at
				 FROM connectors c`,
			)
			.all<TotalsRow>(),
		db
			.prepare(
				`SELECT connector_id, status, SUM(request_count) AS count FROM connector_logs
				 WHERE received_at >= ? GROUP BY connector_id, status`,
			)
			.bind(since)
			.all<StatusCountRow>(),
	]);
	const stats = new Map<string, ConnectorStats>();
	for (const row of totals.results) {
		stats.set(row.id, {
			...noActivity(),
			active_keys: row.active_keys,
			revoked_keys: row.revoked_keys,
			last_request_at: row.last_request_at,
		});
	}
	for (const row of counts.results) {
		const entry = stats.get(row.connector_id);
		if (entry) entry.last_24h[row.status] = row.count;
	}
	return stats;
}
