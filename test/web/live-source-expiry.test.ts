import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { subscribe } from "../../src/web/live-source";
import { FakeSocket } from "../shared/fake-socket";

describe("live-source when the server closes the socket because its ticket expired (4003)", () => {
	beforeEach(() => {
		FakeSocket.opened = [];
		vi.stubGlobal("sessionStorage", { getItem: () => "admin-token" });
		vi.stubGlobal("location", { origin: "https://dash.example" });
	});
	afterEach(() => vi.unstubAllGlobals());

	it("reconnects with a fresh ticket, resuming from the seq it had", async () => {
		const tickets = ["rk_tmp_one", "rk_tmp_two"];
		const asked: string[] = [];
		vi.stubGlobal(
			"fetch",
			vi.fn(async (url: string) => {
				asked.push(url);
				return Response.json({ success: true, data: { token: tickets.shift() ?? "rk_tmp_more", expires_at: "x" } }, { status: 201 });
			}),
		);
		const stop = subscribe("sales", { onSnapshot: () => {}, onChanges: () => {}, onStatus: () => {} }, { WebSocket: FakeSocket });
		await vi.waitFor(() => expect(FakeSocket.opened).toHaveLength(1));
		const first = FakeSocket.opened[0] as FakeSocket;
		first.frame({ type: "snapshot", seq: 7, complete: true, items: [] });
		first.drop(4003, "ticket expired");

		await vi.waitFor(() => expect(FakeSocket.opened).toHaveLength(2), { timeout: 5_000 });
		stop();
		expect(asked).toEqual(["/api/admin/streams/sales/tickets", "/api/admin/streams/sales/tickets"]);
		const second = new URL(FakeSocket.opened[1]?.url ?? "");
		expect(second.searchParams.get("token")).toBe("rk_tmp_two");
		expect(second.searchParams.get("since")).toBe("7");
	});
});
