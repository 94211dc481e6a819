import type { ComponentChildren } from "preact";
import { useFocusOnChange } from "../hooks";
import { Link } from "../router";

/**
 * The head of a page below a list: the way back (to the connector list unless `back` says
 * otherwise), the title (focused when `focusKey` changes, so screen readers announce the new
 * page) and the page's actions.
 */
export function DetailHead(props: {
	focusKey: unknown;
	title: ComponentChildren;
	back?: { href: string; label: string };
	children?: ComponentChildren;
}) {
	const heading = useFocusOnChange<HTMLHeadingElement>(props.focusKey);
	const back = props.back ?? { href: "/", label: "Data Sources" };
	return (
		<>
			<p class="breadcrumb">
				<Link href={back.href}>← {back.label}</Link>
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
