import type { JSX, TargetedInputEvent } from "preact";

interface TextFieldProps {
	id: string;
	label: string;
	value: string;
	onInput: (value: string) => void;
	error?: string | undefined;
	hint?: string;
	type?: "text" | "password";
	inputMode?: "text" | "numeric";
	autoComplete?: string;
	placeholder?: string;
	inputRef?: (element: HTMLInputElement | null) => void;
}

/** A labelled input whose hint and error are tied to it for assistive technology. */
export function TextField(props: TextFieldProps): JSX.Element {
	const hintId = props.hint ? `${props.id}-hint` : undefined;
	const errorId = props.error ? `${props.id}-error` : undefined;
	const describedBy = [hintId, errorId].filter(Boolean).join(" ") || undefined;
	const inputProps = {
		id: props.id,
		name: props.id,
		ref: props.inputRef,
		inputMode: props.inputMode,
		autoComplete: props.autoComplete ?? "off",
		spellcheck: false,
		placeholder: props.placeholder,
		value: props.value,
		"aria-invalid": props.error ? ("true" as const) : undefined,
		"aria-describedby": describedBy,
		onInput: (event: TargetedInputEvent<HTMLInputElement>) => props.onInput(event.currentTarget.value),
	};
	return (
		<div class={props.error ? "field field-invalid" : "field"}>
			<label for={props.id}>{props.label}</label>
			{props.type === "password" ? <input type="password" {...inputProps} /> : <input type="text" {...inputProps} />}
			{props.hint && (
				<p class="hint" id={hintId}>
					{props.hint}
				</p>
			)}
			{props.error && (
				<p class="field-error" id={errorId}>
					{props.error}
				</p>
			)}
		</div>
	);
}
