import type { ComponentChildren } from "preact";
import { useFocusOnChange } from "../hooks";
import { Link } from "../router";

/**
 * The head of a page below the connector list: the way back, the title (focused when
 * `focusKey` changes, so screen readers announce the new page) and the page's actions.
 */
export function DetailHead(props: { focusKey: unknown; title: ComponentChildren; children?: ComponentChildren }) {
	const heading = useFocusOnChange<HTMLHeadingElement>(props.focusKey);
	return (
		<>
			<p class="breadcrumb">
				<Link href="/">← Data Sources</Link>
			</p>
			<div class="page-head">
				<h1 ref={heading} tabIndex={-1}>
					{props.title}
				</h1>
				{props.children}
			</div>
		</>
	);
}
