import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";

interface ConfirmDialogProps {
	open: boolean;
	title: string;
	confirmLabel: string;
	onConfirm: () => void;
	onCancel: () => void;
	children: ComponentChildren;
}

/** A modal confirmation on the native <dialog>: focus is trapped, Escape cancels, focus returns afterwards. */
export function ConfirmDialog(props: ConfirmDialogProps) {
	const ref = useRef<HTMLDialogElement>(null);
	useEffect(() => {
		const dialog = ref.current;
		if (!dialog) return;
		if (props.open && !dialog.open) dialog.showModal();
		if (!props.open && dialog.open) dialog.close();
	}, [props.open]);
	return (
		<dialog ref={ref} aria-labelledby="confirm-title" onClose={() => props.open && props.onCancel()}>
			<h2 id="confirm-title">{props.title}</h2>
			<div>{props.children}</div>
			<div class="actions">
				<button type="button" class="button secondary" autofocus onClick={props.onCancel}>
					Cancel
				</button>
				<button type="button" class="button danger" onClick={props.onConfirm}>
					{props.confirmLabel}
				</button>
			</div>
		</dialog>
	);
}
