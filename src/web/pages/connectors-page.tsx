import { useCallback, useEffect, useState } from "preact/hooks";
import { api, errorMessage } from "../api";
import { ConnectorForm } from "../components/connector-form";
import { StatusBadge } from "../components/status-badge";
import { formatTime, timeAgo } from "../format";
import { useFocusOnChange, useInterval } from "../hooks";
import { Link, navigate } from "../router";
import { connectorPath, streamPath } from "../routes";
import { LOG_STATUSES, type ListedConnector } from "../types";
import { ErrorAlert } from "../components/error-alert";
import { TableHead } from "../components/table-parts";

const REFRESH_MS = 10_000;

/** The last 24 h of a connector's requests by status, or a word when there were none. */
function RecentStatuses(props: { counts: ListedConnector["stats"]["last_24h"] }) {
	const shown = LOG_STATUSES.filter((status) => props.counts[status] > 0);
	if (shown.length === 0) return <span class="muted">No requests</span>;
	return (
		<span class="badges">
			{shown.map((status) => (
				<StatusBadge key={status} status={status} count={props.counts[status]} />
			))}
		</span>
	);
}

/** The Data Sources list: every connector with its activity, and the form for a new one. */
export function ConnectorsPage() {
	const [connectors, setConnectors] = useState<ListedConnector[] | null>(null);
	const [error, setError] = useState<string | null>(null);
	const heading = useFocusOnChange<HTMLHeadingElement>("connectors");

	const load = useCallback(async () => {
		try {
			setConnectors(await api<ListedConnector[]>("/api/admin/connectors?include=stats"));
			setError(null);
		} catch (failure) {
			setError(errorMessage(failure));
		}
	}, []);
	useEffect(() => void load(), [load]);
	useInterval(() => void load(), REFRESH_MS);

	return (
		<>
			<h1 ref={heading} tabIndex={-1}>
				Data Sources
			</h1>
			<section aria-labelledby="connectors-heading" class="panel">
				<div class="section-head">
					<h2 id="connectors-heading">Connectors</h2>
					<button type="button" class="button secondary" onClick={() => void load()}>
						Refresh
					</button>
				</div>
				<ErrorAlert>{error}</ErrorAlert>
				{connectors === null && !error && <p>Loading…</p>}
				{connectors?.length === 0 && <p class="muted">No connectors yet: create the first one below.</p>}
				{connectors && connectors.length > 0 && (
					<table class="responsive connectors">
						<caption class="visually-hidden">Connectors, oldest first</caption>
						<TableHead columns={["Name", "Stream", "Keys", "Last request", "Last 24 h"]} />
						<tbody>
							{connectors.map((connector) => (
								<tr key={connector.id}>
									<th scope="row" data-label="Name">
										<Link href={connectorPath(connector.id)}>{connector.name}</Link>
									</th>
									<td data-label="Stream">
										<Link href={streamPath(connector.stream)}>
											<code>{connector.stream}</code>
										</Link>
									</td>
									<td data-label="Keys">
										{connector.stats.active_keys} active
										{connector.stats.revoked_keys > 0 && <span class="muted">, {connector.stats.revoked_keys} revoked</span>}
									</td>
									<td data-label="Last request">
										{connector.stats.last_request_at ? (
											<time dateTime={connector.stats.last_request_at} title={formatTime(connector.stats.last_request_at)}>
												{timeAgo(connector.stats.last_request_at)}
											</time>
										) : (
											<span class="muted">Never</span>
										)}
									</td>
									<td data-label="Last 24 h">
										<RecentStatuses counts={connector.stats.last_24h} />
									</td>
								</tr>
							))}
						</tbody>
					</table>
				)}
			</section>
			<section aria-labelledby="new-connector-heading" class="panel">
				<h2 id="new-connector-heading">New connector</h2>
				<ConnectorForm idPrefix="new" submitLabel="Create connector" onSaved={(connector) => navigate(connectorPath(connector.id))} />
			</section>
		</>
	);
}
