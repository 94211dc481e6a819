import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { apiEnvelope, errorMessage } from "../api";
import { formatTime } from "../format";
import { splitLogError } from "../log-error";
import { useInterval } from "../hooks";
import { LOG_STATUSES, type LogEntry, type LogPage, type LogStatus } from "../types";
import { StatusBadge } from "./status-badge";
import { ErrorAlert } from "./error-alert";
import { TableHead } from "./table-parts";

const PAGE = 50;
// The API's largest page: a refresh re-reads every row already shown, up to this many.
const MAX_PAGE = 200;
const REFRESH_MS = 3000;

const asStatus = (value: string): LogStatus | "" => LOG_STATUSES.find((status) => status === value) ?? "";

/** A connector's request log: newest first, filterable by status, paged, refreshed live or on demand. */
export function LogsPanel(props: { connectorId: string }) {
	const [status, setStatus] = useState<LogStatus | "">("");
	const [rows, setRows] = useState<LogEntry[] | null>(null);
	const [cursor, setCursor] = useState<string | null>(null);
	const [live, setLive] = useState(true);
	const [error, setError] = useState<string | null>(null);
	const [updatedAt, setUpdatedAt] = useState<string | null>(null);
	const shown = useRef(0);
	shown.current = rows?.length ?? 0;
	// Answers to an older filter (or to a refresh overtaken by another) are dropped, not shown.
	const generation = useRef(0);

	const url = useCallback(
		(limit: number, after: string | null) => {
			const query = new URLSearchParams({ limit: String(limit) });
			if (status) query.set("status", status);
			if (after) query.set("cursor", after);
			return `/api/admin/connectors/${props.connectorId}/logs?${query}`;
		},
		[props.connectorId, status],
	);

	/** Re-reads the newest rows, as many as are shown, so statuses that moved on are current. */
	const refresh = useCallback(async () => {
		const mine = ++generation.current;
		try {
			const page = await apiEnvelope<LogPage>(url(Math.min(MAX_PAGE, Math.max(PAGE, shown.current)), null));
			if (mine !== generation.current) return;
			setRows(page.data);
			setCursor(page.next_cursor);
			setUpdatedAt(new Date().toISOString());
			setError(null);
		} catch (failure) {
			setError(errorMessage(failure));
		}
	}, [url]);

	async function loadOlder() {
		if (!cursor) return;
		const mine = ++generation.current;
		try {
			const page = await apiEnvelope<LogPage>(url(PAGE, cursor));
			if (mine !== generation.current) return;
			setRows((current) => [...(current ?? []), ...page.data]);
			setCursor(page.next_cursor);
		} catch (failure) {
			setError(errorMessage(failure));
		}
	}

	useEffect(() => {
		shown.current = 0;
		setRows(null);
		void refresh();
	}, [refresh]);
	useInterval(() => void refresh(), REFRESH_MS, live);

	return (
		<section aria-labelledby="logs-heading" class="panel">
			<div class="section-head">
				<h2 id="logs-heading">Request log</h2>
				<div class="log-controls">
					<label for="log-status">Status</label>
					<select id="log-status" value={status} onChange={(event) => setStatus(asStatus(event.currentTarget.value))}>
						<option value="">All</option>
						{LOG_STATUSES.map((value) => (
							<option key={value} value={value}>
								{value}
							</option>
						))}
					</select>
					<label class="checkbox">
						<input type="checkbox" checked={live} onChange={(event) => setLive(event.currentTarget.checked)} /> Auto-refresh
					</label>
					<button type="button" class="button secondary" onClick={() => void refresh()}>
						Refresh
					</button>
				</div>
			</div>
			<p class="muted small" aria-live="off">
				{live ? `Refreshes every ${REFRESH_MS / 1000} s.` : "Paused."}
				{updatedAt && ` Updated ${formatTime(updatedAt)}.`}
			</p>
			<ErrorAlert>{error}</ErrorAlert>
			{rows === null && !error && <p>Loading…</p>}
			{rows?.length === 0 && <p class="muted">{status ? `No ${status} requests.` : "No requests yet."}</p>}
			{rows && rows.length > 0 && (
				<table class="responsive logs">
					<caption class="visually-hidden">Requests, newest first</caption>
					<TableHead columns={["Received", "Request id", "Items", "Status", "Error"]} />
					<tbody>
						{rows.map((row) => (
							<tr key={row.request_id} data-request-id={row.request_id} data-status={row.status} data-count={row.count}>
								<td data-label="Received">
									<time dateTime={row.received_at}>{formatTime(row.received_at)}</time>
								</td>
								<td data-label="Request id">
									<code class="break">{row.request_id}</code>
									{row.window_ends_at && <WindowNote count={row.count} endsAt={row.window_ends_at} />}
								</td>
								<td data-label="Items" class="number">
									{row.items_received}
								</td>
								<td data-label="Status">
									<StatusBadge status={row.status} />
								</td>
								<td data-label="Error" class="break log-error">
									{row.error === null ? <span class="muted">—</span> : <LogErrorText error={row.error} />}
								</td>
							</tr>
						))}
					</tbody>
				</table>
			)}
			{cursor && (
				<button type="button" class="button secondary" onClick={() => void loadOlder()}>
					Load older requests
				</button>
			)}
		</section>
	);
}

/** An error, with a schema refusal's first problems one per line (each names its item's index and field). */
function LogErrorText(props: { error: string }) {
	const { summary, problems } = splitLogError(props.error);
	if (problems.length === 0) return <>{summary}</>;
	return (
		<>
			{summary}
			<span class="log-problems-head"> First problems:</span>
			<ul class="log-problems">
				{problems.map((problem, index) => (
					<li key={`${index}:${problem}`}>{problem}</li>
				))}
			</ul>
		</>
	);
}

/** Rate-limited requests are logged aggregated: one row stands for every request refused in its window. */
function WindowNote(props: { count: number; endsAt: string }) {
	return (
		<div class="muted small">
			first of {props.count.toLocaleString("en-US")} refused until <time dateTime={props.endsAt}>{formatTime(props.endsAt)}</time>
		</div>
	);
}
