import { useState } from "preact/hooks";
import { api, errorMessage } from "../api";
import { formatTime } from "../format";
import { usePanelAction } from "../hooks";
import type { CreatedKey, IngestKey } from "../types";
import { ConfirmDialog } from "./confirm-dialog";
import { CopyButton } from "./copy-button";
import { ErrorAlert } from "./error-alert";
import { RowAction, TableHead } from "./table-parts";

interface KeysPanelProps {
	connectorId: string;
	keys: IngestKey[];
	/** The key just made, shown until dismissed; the API never shows it again. */
	fresh: CreatedKey | null;
	onCreated: (key: CreatedKey) => void;
	onDismissFresh: () => void;
	onChanged: () => void;
}

/** A connector's ingest keys: make one (shown once), revoke one (after confirmation). */
export function KeysPanel(props: KeysPanelProps) {
	const [busy, setBusy] = useState(false);
	const { error, setError, heading, attempt } = usePanelAction();
	const [revoking, setRevoking] = useState<IngestKey | null>(null);

	async function create() {
		setBusy(true);
		setError(null);
		try {
			props.onCreated(await api<CreatedKey>(`/api/admin/connectors/${props.connectorId}/keys`, { method: "POST" }));
		} catch (failure) {
			setError(errorMessage(failure));
		} finally {
			setBusy(false);
		}
	}

	async function revoke(key: IngestKey) {
		setRevoking(null);
		await attempt(async () => {
			await api(`/api/admin/connectors/${props.connectorId}/keys/${key.id}`, { method: "DELETE" });
			if (props.fresh?.id === key.id) props.onDismissFresh();
			props.onChanged();
		});
	}

	return (
		<section aria-labelledby="keys-heading" class="panel">
			<div class="section-head">
				<h2 id="keys-heading" ref={heading} tabIndex={-1}>
					Ingest keys
				</h2>
				<button type="button" class="button" disabled={busy} onClick={create}>
					{busy ? "Creating…" : "Create key"}
				</button>
			</div>
			<ErrorAlert>{error}</ErrorAlert>
			{props.fresh && (
				<div class="fresh-key" role="region" aria-labelledby="fresh-key-label">
					<p class="warning" id="fresh-key-warning">
						<strong>Copy this key now: it will not be shown again.</strong> Only a hash of it is stored.
					</p>
					<label id="fresh-key-label" for="fresh-key">
						New key {props.fresh.prefix}…
					</label>
					<div class="key-row">
						<input
							id="fresh-key"
							readOnly
							value={props.fresh.key}
							aria-describedby="fresh-key-warning"
							onFocus={(event) => event.currentTarget.select()}
						/>
						<CopyButton text={props.fresh.key} label="Copy key" />
					</div>
					<button type="button" class="button secondary" onClick={props.onDismissFresh}>
						I have stored it
					</button>
				</div>
			)}
			{props.keys.length === 0 ? (
				<p class="muted">No keys yet: the connector cannot ingest until it has one.</p>
			) : (
				<table class="responsive keys">
					<caption class="visually-hidden">Ingest keys, newest first</caption>
					<TableHead columns={["Key", "State"]} actions />
					<tbody>
						{props.keys.map((key) => (
							<tr key={key.id} data-key-id={key.id}>
								<th scope="row" data-label="Key">
									<code class="key-prefix" title={key.prefix}>
										{key.prefix}…
									</code>
									<span class="muted small">
										created <time dateTime={key.created_at}>{formatTime(key.created_at)}</time>
									</span>
								</th>
								<td data-label="State">
									{key.revoked_at ? (
										<>
											<span class="badge badge-rejected">revoked</span>{" "}
											<time dateTime={key.revoked_at} class="nowrap small">
												{formatTime(key.revoked_at)}
											</time>
										</>
									) : (
										<span class="badge badge-processed">active</span>
									)}
								</td>
								<td class="row-actions">
									{!key.revoked_at && (
										<RowAction label="Revoke" detail={`${key.prefix}…`} onClick={() => setRevoking(key)} />
									)}
								</td>
							</tr>
						))}
					</tbody>
				</table>
			)}
			<ConfirmDialog
				open={revoking !== null}
				title="Revoke this key?"
				confirmLabel="Revoke key"
				onCancel={() => setRevoking(null)}
				onConfirm={() => revoking && void revoke(revoking)}
			>
				<p>
					Requests with <code>{revoking?.prefix}…</code> will be refused with 401: at once on this server, within 60 s
					everywhere. This cannot be undone.
				</p>
			</ConfirmDialog>
		</section>
	);
}
