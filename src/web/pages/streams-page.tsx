import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ApiError, api, errorMessage } from "../api";
import { DeleteStreamDialog } from "../components/delete-stream-dialog";
import { ErrorAlert } from "../components/error-alert";
import { formatTime, timeAgo } from "../format";
import { useFocusOnChange, useInterval } from "../hooks";
import { Link } from "../router";
import { streamPath } from "../routes";
import { type Summary, useStreams } from "../streams-data";
import type { ListedStream, StreamDetails } from "../types";
import { RowAction, TableHead } from "../components/table-parts";

const REFRESH_MS = 10_000;

/** One figure of a stream's summary, or why it is missing. */
function SummaryCell(props: { summary: Summary | undefined; show: (summary: StreamDetails) => ComponentChildren }) {
	const summary = props.summary;
	if (summary === undefined || summary === "loading") return <span class="muted">…</span>;
	if ("failed" in summary) return <span class="muted" title={summary.failed}>unavailable</span>;
	return <>{props.show(summary)}</>;
}

/** Every stream with its connectors, items, seq and last write; deleting one takes its typed name. */
export function StreamsPage() {
	const { streams, summaries, error, reload } = useStreams();
	const [deleting, setDeleting] = useState<ListedStream | null>(null);
	const [actionError, setActionError] = useState<string | null>(null);
	const [notice, setNotice] = useState<string | null>(null);
	const heading = useFocusOnChange<HTMLHeadingElement>("streams");
	useInterval(() => void reload(), REFRESH_MS);
	useEffect(() => {
		document.title = "Streams · Data Sources";
	}, []);

	async function remove(stream: ListedStream, force: boolean) {
		setDeleting(null);
		setActionError(null);
		setNotice(null);
		try {
			await api(`/api/admin/streams/${encodeURIComponent(stream.name)}${force ? "?force=true" : ""}`, { method: "DELETE" });
			setNotice(`Stream ${stream.name} deleted.`);
		} catch (failure) {
			const inUse = failure instanceof ApiError && failure.code === "STREAM_IN_USE";
			// A connector named the stream after the list was read: the reloaded list shows it, and the dialog then offers force.
			setActionError(inUse ? `${errorMessage(failure)} The list now shows its connectors; delete again to remove them too.` : errorMessage(failure));
		}
		await reload();
		// The Delete button that had focus may be gone: keep keyboard users on this page.
		heading.current?.focus();
	}

	return (
		<>
			<h1 ref={heading} tabIndex={-1}>
				Streams
			</h1>
			<section aria-labelledby="streams-heading" class="panel">
				<div class="section-head">
					<h2 id="streams-heading">Every stream</h2>
					<button type="button" class="button secondary" onClick={() => void reload()}>
						Refresh
					</button>
				</div>
				<ErrorAlert>{error}</ErrorAlert>
				<ErrorAlert>{actionError}</ErrorAlert>
				{notice && (
					<p role="status" class="notice">
						{notice}
					</p>
				)}
				{streams === null && !error && <p>Loading…</p>}
				{streams?.length === 0 && <p class="muted">No streams yet: a stream exists once a connector names it.</p>}
				{streams && streams.length > 0 && (
					<table class="responsive streams">
						<caption class="visually-hidden">Streams, by name</caption>
						<TableHead columns={["Stream", "Connectors", "Items", "Seq", "Last write", "Created"]} actions />
						<tbody>
							{streams.map((stream) => {
								const summary = summaries.get(stream.name);
								return (
									<tr key={stream.name} data-stream={stream.name}>
										<th scope="row" data-label="Stream">
											<Link href={streamPath(stream.name)}>
												<code class="break">{stream.name}</code>
											</Link>
										</th>
										<td data-label="Connectors" class="number">
											{stream.connector_count}
										</td>
										<td data-label="Items" class="number">
											<SummaryCell summary={summary} show={(s) => s.item_count} />
										</td>
										<td data-label="Seq" class="number">
											<SummaryCell summary={summary} show={(s) => s.seq} />
										</td>
										<td data-label="Last write">
											<SummaryCell
												summary={summary}
												show={(s) =>
													s.last_write_at ? (
														<time dateTime={s.last_write_at} title={formatTime(s.last_write_at)}>
															{timeAgo(s.last_write_at)}
														</time>
													) : (
														<span class="muted">Never</span>
													)
												}
											/>
										</td>
										<td data-label="Created">
											<time dateTime={stream.created_at}>{formatTime(stream.created_at)}</time>
										</td>
										<td class="row-actions">
											<RowAction label="Delete" detail={`stream ${stream.name}`} onClick={() => setDeleting(stream)} />
										</td>
									</tr>
								);
							})}
						</tbody>
					</table>
				)}
			</section>
			<DeleteStreamDialog stream={deleting} onCancel={() => setDeleting(null)} onConfirm={(stream, force) => void remove(stream, force)} />
		</>
	);
}
