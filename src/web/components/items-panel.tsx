import { useState } from "preact/hooks";
import { api } from "../api";
import { formatTime, preview } from "../format";
import { usePanelAction } from "../hooks";
import type { StreamItem } from "../types";
import { ConfirmDialog } from "./confirm-dialog";
import { ErrorAlert } from "./error-alert";
import { RowAction, TableHead } from "./table-parts";

interface ItemsPanelProps {
	stream: string;
	/** The rows shown, most recently changed first. */
	items: StreamItem[];
	/** How many items the stream holds in all. */
	count: number;
	/** How many rows are shown at most. */
	shown: number;
	/** Whether the first snapshot has arrived. */
	loaded: boolean;
	/** Rows with a seq above this changed in the last update and are highlighted. */
	changedAfter: number;
}

type Pending = { kind: "item"; key: string } | { kind: "clear" } | null;

/** What the confirmation says will happen. */
function PendingText(props: { pending: NonNullable<Pending>; stream: string }) {
	const stream = <code class="break">{props.stream}</code>;
	if (props.pending.kind === "clear") {
		return (
			<>
				Every item of {stream} is removed, for every renderer. Its connectors and keys stay; writes sent before this moment
				that arrive later are discarded.
			</>
		);
	}
	return (
		<>
			Item <code class="break">{props.pending.key}</code> is removed from {stream} for every renderer. A write sent before this
			moment that arrives later does not bring it back.
		</>
	);
}

/**
 * The live view's table, with deleting an item and clearing the stream (each after confirmation).
 * Neither touches the table itself: the change comes back over the stream's socket like any other.
 */
export function ItemsPanel(props: ItemsPanelProps) {
	const [pending, setPending] = useState<Pending>(null);
	const { error, heading, attempt } = usePanelAction();
	const base = `/api/admin/streams/${encodeURIComponent(props.stream)}/items`;

	async function run(action: NonNullable<Pending>) {
		setPending(null);
		await attempt(async () => {
			await api(action.kind === "item" ? `${base}/${encodeURIComponent(action.key)}` : base, { method: "DELETE" });
		});
	}

	return (
		<section aria-labelledby="items-heading" class="panel">
			<div class="section-head">
				<h2 id="items-heading" ref={heading} tabIndex={-1}>
					Items
				</h2>
				<button type="button" class="button danger" disabled={props.count === 0} onClick={() => setPending({ kind: "clear" })}>
					Clear stream
				</button>
			</div>
			<p class="muted small">
				{props.count > props.shown ? `The ${props.shown} most recently changed of ${props.count}, newest first.` : "Newest first."}{" "}
				Changed rows are highlighted.
			</p>
			<ErrorAlert>{error}</ErrorAlert>
			{props.loaded && props.count === 0 && <p class="muted">No items yet. Send some with a key of a connector of this stream.</p>}
			{props.items.length > 0 && (
				<table class="responsive items">
					<caption class="visually-hidden">Items of {props.stream}, most recently changed first</caption>
					<TableHead columns={["Key", "Seq", "Updated", "Value"]} actions />
					<tbody>
						{props.items.map((item) => (
							<tr key={`${item.key}:${item.seq}`} class={item.seq > props.changedAfter ? "changed" : undefined} data-item-key={item.key}>
								<th scope="row" data-label="Key">
									<code class="break">{item.key}</code>
								</th>
								<td data-label="Seq" class="number">
									{item.seq}
								</td>
								<td data-label="Updated">
									<time dateTime={item.updated_at}>{formatTime(item.updated_at)}</time>
								</td>
								<td data-label="Value">
									<code class="break">{preview(item.value)}</code>
								</td>
								<td class="row-actions">
									<RowAction label="Delete" detail={`item ${item.key}`} onClick={() => setPending({ kind: "item", key: item.key })} />
								</td>
							</tr>
						))}
					</tbody>
				</table>
			)}
			<ConfirmDialog
				open={pending !== null}
				title={pending?.kind === "clear" ? "Clear this stream?" : "Delete this item?"}
				confirmLabel={pending?.kind === "clear" ? "Clear stream" : "Delete item"}
				onCancel={() => setPending(null)}
				onConfirm={() => pending && void run(pending)}
			>
				<p>{pending && <PendingText pending={pending} stream={props.stream} />}</p>
			</ConfirmDialog>
		</section>
	);
}
