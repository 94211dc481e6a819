import type { LiveStatus } from "../live-source";
import type { LogStatus } from "../types";

/** A log status as a coloured label; the word is always there, colour only helps. */
export function StatusBadge(props: { status: LogStatus; count?: number }) {
	return (
		<span class={`badge badge-${props.status}`}>
			{props.count !== undefined && <strong>{props.count}</strong>} {props.status}
		</span>
	);
}

const LIVE_LABELS: Record<LiveStatus, string> = {
	connecting: "Connecting…",
	live: "Live",
	reconnecting: "Reconnecting…",
	offline: "Offline",
};

/** The live view's connection state, announced politely when it changes. */
export function LiveBadge(props: { status: LiveStatus }) {
	return (
		<span class={`badge live-${props.status}`} role="status" data-status={props.status}>
			<span class="dot" aria-hidden="true" /> {LIVE_LABELS[props.status]}
		</span>
	);
}
