import type { ComponentChildren } from "preact";
import { useEffect, useId, useRef } from "preact/hooks";

interface ConfirmDialogProps {
	open: boolean;
	title: string;
	confirmLabel: string;
	/** Keeps the confirm button disabled, for example until a typed confirmation matches. */
	confirmDisabled?: boolean;
	onConfirm: () => void;
	onCancel: () => void;
	children: ComponentChildren;
}

/**
 * A modal confirmation on the native <dialog>: focus is trapped, Escape cancels, focus returns afterwards.
 * Focus starts on Cancel, or on the first element of `children` marked `autofocus`.
 */
export function ConfirmDialog(props: ConfirmDialogProps) {
	const ref = useRef<HTMLDialogElement>(null);
	// Several dialogs can share a page: each names itself by its own heading.
	const titleId = useId();
	useEffect(() => {
		const dialog = ref.current;
		if (!dialog) return;
		if (props.open && !dialog.open) dialog.showModal();
		if (!props.open && dialog.open) dialog.close();
	}, [props.open]);
	return (
		<dialog ref={ref} aria-labelledby={titleId} onClose={() => props.open && props.onCancel()}>
			<h2 id={titleId}>{props.title}</h2>
			<div>{props.children}</div>
			<div class="actions">
				<button type="button" class="button secondary" autofocus onClick={props.onCancel}>
					Cancel
				</button>
				<button type="button" class="button danger" disabled={props.confirmDisabled} onClick={props.onConfirm}>
					{props.confirmLabel}
				</button>
			</div>
		</dialog>
	);
}
