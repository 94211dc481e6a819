import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { type Route, parseRoute } from "./routes";

/** Goes to another page without reloading. */
export function navigate(href: string): void {
	history.pushState(null, "", href);
	dispatchEvent(new PopStateEvent("popstate"));
}

/** The current route, following history navigation. */
export function useRoute(): Route {
	const [route, setRoute] = useState(() => parseRoute(location.pathname));
	useEffect(() => {
		const update = () => setRoute(parseRoute(location.pathname));
		addEventListener("popstate", update);
		return () => removeEventListener("popstate", update);
	}, []);
	return route;
}

/**
 * A link that changes page in place; modified clicks (new tab, …) keep the browser's behaviour.
 * `current` marks the navigation entry of the page shown.
 */
export function Link(props: { href: string; class?: string; current?: boolean; children: ComponentChildren }) {
	return (
		<a
			href={props.href}
			class={props.class}
			aria-current={props.current ? "page" : undefined}
			onClick={(event) => {
				if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
				event.preventDefault();
				navigate(props.href);
			}}
		>
			{props.children}
		</a>
	);
}
