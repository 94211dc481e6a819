import { describe, expect, it } from "vitest";
import { connectorPath, parseRoute, streamPath } from "../../src/web/routes";

describe("routes", () => {
	it("maps paths to pages and back", () => {
		expect(parseRoute("/")).toEqual({ page: "connectors" });
		expect(parseRoute(connectorPath("con_1"))).toEqual({ page: "connector", id: "con_1" });
		expect(parseRoute(`${streamPath("sales-eu")}/`)).toEqual({ page: "stream", stream: "sales-eu" });
		expect(parseRoute("/connectors/a/b")).toEqual({ page: "not-found" });
	});
});
