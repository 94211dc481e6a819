import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { subscribe } from "../../src/web/live-source";

/** A stand-in for the browser's WebSocket: records the URLs opened and lets the test close them as the server would. */
class FakeSocket extends EventTarget {
	static opened: FakeSocket[] = [];
	readyState = 0;
	binaryType = "blob";
	constructor(readonly url: string) {
		super();
		FakeSocket.opened.push(this);
		queueMicrotask(() => {
			this.readyState = 1;
			this.dispatchEvent(new Event("open"));
		});
	}
	frame(frame: unknown): void {
		this.dispatchEvent(new MessageEvent("message", { data: JSON.stringify(frame) }));
	}
	/** The server closes the socket. */
	serverClose(code: number, reason: string): void {
		this.readyState = 3;
		this.dispatchEvent(new CloseEvent("close", { code, reason }));
	}
	send(): void {}
	close(): void {
		this.readyState = 3;
		this.dispatchEvent(new CloseEvent("close", { code: 1000 }));
	}
}

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
		first.serverClose(4003, "ticket expired");

		await vi.waitFor(() => expect(FakeSocket.opened).toHaveLength(2), { timeout: 5_000 });
		stop();
		expect(asked).toEqual(["/api/admin/streams/sales/tickets", "/api/admin/streams/sales/tickets"]);
		const second = new URL(FakeSocket.opened[1]?.url ?? "");
		expect(second.searchParams.get("token")).toBe("rk_tmp_two");
		expect(second.searchParams.get("since")).toBe("7");
	});
});
