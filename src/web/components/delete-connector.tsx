import { useState } from "preact/hooks";
import { api, errorMessage } from "../api";
import type { Connector } from "../types";
import { ConfirmDialog } from "./confirm-dialog";

interface DeleteConnectorProps {
	connector: Connector;
	onDeleted: () => void;
	onError: (message: string) => void;
}

/** The connector page's Delete button and its confirmation. */
export function DeleteConnector(props: DeleteConnectorProps) {
	const [open, setOpen] = useState(false);
	const [busy, setBusy] = useState(false);
	const { connector } = props;

	async function remove() {
		setOpen(false);
		setBusy(true);
		try {
			await api(`/api/admin/connectors/${encodeURIComponent(connector.id)}`, { method: "DELETE" });
			props.onDeleted();
		} catch (failure) {
			props.onError(errorMessage(failure));
			setBusy(false);
		}
	}

	return (
		<>
			<button type="button" class="button danger" disabled={busy} onClick={() => setOpen(true)}>
				{busy ? "Deleting…" : "Delete connector"}
			</button>
			<ConfirmDialog
				open={open}
				title="Delete this connector?"
				confirmLabel="Delete connector"
				onCancel={() => setOpen(false)}
				onConfirm={() => void remove()}
			>
				<p>
					<strong>{connector.name}</strong> and its request log are deleted, and its ingest keys are refused with 401: at once
					on this server, within 60 s everywhere. The items it sent stay in <code class="break">{connector.stream}</code>. This
					cannot be undone.
				</p>
			</ConfirmDialog>
		</>
	);
}
