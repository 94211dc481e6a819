import { useEffect, useId, useState } from "preact/hooks";
import type { ListedStream } from "../types";
import { ConfirmDialog } from "./confirm-dialog";

interface DeleteStreamDialogProps {
	/** The stream to delete; the dialog is open while there is one. */
	stream: ListedStream | null;
	/** `force` is set when connectors still name the stream: they go too. */
	onConfirm: (stream: ListedStream, force: boolean) => void;
	onCancel: () => void;
}

const connectorsGo = (count: number) => (count === 1 ? "Its connector goes too" : `Its ${count} connectors go too`);

/** Deleting a stream cannot be undone, so the user types its name before the button is enabled. */
export function DeleteStreamDialog(props: DeleteStreamDialogProps) {
	const [typed, setTyped] = useState("");
	const inputId = useId();
	const stream = props.stream;
	// Every opening starts empty: a name typed before a cancel must not confirm the next deletion.
	useEffect(() => setTyped(""), [stream]);
	const matches = stream !== null && typed === stream.name;
	const force = (stream?.connector_count ?? 0) > 0;
	const confirm = () => stream && matches && props.onConfirm(stream, force);

	return (
		<ConfirmDialog
			open={stream !== null}
			title="Delete this stream?"
			confirmLabel="Delete stream"
			confirmDisabled={!matches}
			onCancel={props.onCancel}
			onConfirm={confirm}
		>
			<p>
				Stream <code class="break">{stream?.name}</code>: its items, their history and its renderer tokens are deleted, and
				open live views are disconnected. A stream created again under this name starts empty. This cannot be undone.
			</p>
			{force && stream && (
				<p class="warning" data-testid="force-warning">
					<strong>{connectorsGo(stream.connector_count)}</strong>, with {stream.connector_count === 1 ? "its" : "their"} ingest keys and request logs:
					requests with those keys are refused from then on.
				</p>
			)}
			<div class="field">
				<label for={inputId}>
					Type <code class="break">{stream?.name}</code> to confirm
				</label>
				<input
					id={inputId}
					autofocus
					autocomplete="off"
					spellcheck={false}
					value={typed}
					onInput={(event) => setTyped(event.currentTarget.value)}
					onKeyDown={(event) => {
						if (event.key === "Enter") confirm();
					}}
				/>
			</div>
		</ConfirmDialog>
	);
}
