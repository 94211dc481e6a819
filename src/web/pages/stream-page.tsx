import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { DetailHead } from "../components/detail-head";
import { ErrorAlert } from "../components/error-alert";
import { ItemsPanel } from "../components/items-panel";
import { LiveBadge } from "../components/status-badge";
import { RateChart } from "../components/rate-chart";
import { SchemaPanel } from "../components/schema-panel";
import { useInterval } from "../hooks";
import { type LiveStatus, subscribe } from "../live-source";
import { RateWindow } from "../rate-window";
import { STREAMS_PATH } from "../routes";
import type { StreamItem } from "../types";

const SHOWN_ITEMS = 100;

/**
 * A stream's items as they change: a table (delete an item, clear all), the seq, the connection
 * state and the ingest rate; and its item schema, which can be suggested from those items.
 */
export function StreamPage(props: { stream: string }) {
	const [status, setStatus] = useState<LiveStatus>("connecting");
	const [seq, setSeq] = useState<number | null>(null);
	const [version, setVersion] = useState(0);
	// Rows with a seq above this changed in the last update and are highlighted.
	const [changedAfter, setChangedAfter] = useState(Number.POSITIVE_INFINITY);
	const items = useRef(new Map<string, StreamItem>());
	const rate = useRef(new RateWindow(60));
	const [series, setSeries] = useState(() => rate.current.series());

	useEffect(() => {
		document.title = `${props.stream} (live) · Data Sources`;
		items.current = new Map();
		rate.current = new RateWindow(60);
		setSeq(null);
		return subscribe(props.stream, {
			onSnapshot(at, snapshot) {
				items.current = new Map(snapshot.map((item) => [item.key, item]));
				setSeq(at);
				setChangedAfter(Number.POSITIVE_INFINITY);
				setVersion((v) => v + 1);
			},
			onChanges(from, to, changed, removed) {
				for (const key of removed) items.current.delete(key);
				for (const item of changed) items.current.set(item.key, item);
				rate.current.add(changed.length);
				setSeries(rate.current.series());
				setSeq(to);
				setChangedAfter(from - 1);
				setVersion((v) => v + 1);
			},
			onStatus: setStatus,
		});
	}, [props.stream]);
	useInterval(() => setSeries(rate.current.series()), 1000);

	const newest = useMemo(
		() => [...items.current.values()].sort((a, b) => b.seq - a.seq).slice(0, SHOWN_ITEMS),
		[version],
	);
	const count = items.current.size;

	return (
		<>
			<DetailHead
				focusKey={props.stream}
				back={{ href: STREAMS_PATH, label: "Streams" }}
				title={
					<>
						Stream <code>{props.stream}</code>
					</>
				}
			>
				<LiveBadge status={status} />
			</DetailHead>
			{status === "offline" && (
				<ErrorAlert>
					The stream cannot be read: it may not exist (a stream exists once a connector names it) or may have been deleted, or this browser is offline.
				</ErrorAlert>
			)}
			<dl class="facts">
				<div>
					<dt>Current seq</dt>
					<dd data-testid="seq">{seq ?? "—"}</dd>
				</div>
				<div>
					<dt>Items</dt>
					<dd>{count}</dd>
				</div>
			</dl>
			<section aria-labelledby="rate-heading" class="panel">
				<h2 id="rate-heading">Ingest rate</h2>
				<RateChart series={series} />
			</section>
			<ItemsPanel
				stream={props.stream}
				items={newest}
				count={count}
				shown={SHOWN_ITEMS}
				loaded={seq !== null}
				changedAfter={changedAfter}
			/>
			<SchemaPanel stream={props.stream} count={count} itemValues={() => [...items.current.values()].map((item) => item.value)} />
		</>
	);
}
