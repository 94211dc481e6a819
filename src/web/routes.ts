/** The dashboard's pages, by URL. */
export type Route =
	| { page: "connectors" }
	| { page: "connector"; id: string }
	| { page: "streams" }
	| { page: "stream"; stream: string }
	| { page: "not-found" };

/** The path of the list of streams. */
export const STREAMS_PATH = "/streams";

/** The page a path shows. */
export function parseRoute(pathname: string): Route {
	if (pathname === "/" || pathname === "") return { page: "connectors" };
	if (pathname === STREAMS_PATH || pathname === `${STREAMS_PATH}/`) return { page: "streams" };
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
