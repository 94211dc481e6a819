import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";

/** The dashboard's pages, by URL. */
export type Route =
	| { page: "connectors" }
	| { page: "connector"; id: string }
	| { page: "stream"; stream: string }
	| { page: "not-found" };

/** The page a path shows. */
export function parseRoute(pathname: string): Route {
	if (pathname === "/" || pathname === "") return { page: "connectors" };
	const connector = /^\/connectors\/([^/]+)\/?$/.exec(pathname);
	if (connector?.[1]) return { page: "connector", id: decodeURIComponent(connector[1]) };
	const stream = /^\/streams\/([^/]+)\/?$/.exec(pathname);
	if (stream?.[1]) return { page: "stream", stream: decodeURIComponent(stream[1]) };
	return { page: "not-found" };
}

/** The path of a connector's page. */
export const connectorPath = (id: string) => `/connectors/${encodeURIComponent(id)}`;

/** The path of a stream's live view. */
export const streamPath = (stream: string) => `/streams/${encodeURIComponent(stream)}`;

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

/** A link that changes page in place; modified clicks (new tab, …) keep the browser's behaviour. */
export function Link(props: { href: string; class?: string; children: ComponentChildren }) {
	return (
		<a
			href={props.href}
			class={props.class}
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
