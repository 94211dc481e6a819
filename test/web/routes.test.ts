import { describe, expect, it } from "vitest";
import { STREAMS_PATH, connectorPath, parseRoute, streamPath } from "../../src/web/routes";

describe("routes", () => {
	it("maps paths to pages and back", () => {
		expect(parseRoute("/")).toEqual({ page: "connectors" });
		expect(parseRoute(connectorPath("con_1"))).toEqual({ page: "connector", id: "con_1" });
		expect(parseRoute(`${streamPath("sales-eu")}/`)).toEqual({ page: "stream", stream: "sales-eu" });
		expect(parseRoute("/connectors/a/b")).toEqual({ page: "not-found" });
	});

	it("has a page for the list of streams, apart from each stream's live view", () => {
		expect(parseRoute(STREAMS_PATH)).toEqual({ page: "streams" });
		expect(parseRoute(`${STREAMS_PATH}/`)).toEqual({ page: "streams" });
		expect(parseRoute(streamPath("streams"))).toEqual({ page: "stream", stream: "streams" });
	});
});
