import type { ComponentChildren } from "preact";

/** An error message announced to screen readers as it appears; renders nothing without one. */
export function ErrorAlert(props: { children?: ComponentChildren }) {
	if (props.children === null || props.children === undefined || props.children === false || props.children === "") return null;
	return (
		<p class="error" role="alert">
			{props.children}
		</p>
	);
}
