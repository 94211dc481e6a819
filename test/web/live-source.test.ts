import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type LiveStatus, subscribe } from "../../src/web/live-source";
import type { StreamItem } from "../../src/web/types";
import { FakeSocket } from "../shared/fake-socket";

const item = (key: string, seq: number): StreamItem => ({ key, value: { key }, seq, updated_at: "2026-01-01T00:00:00.000Z" });

/** The admin API's ticket endpoint: answers from `answers`, recording the paths and tokens asked with. */
function fakeTickets(answers: Response[]) {
	const calls: { url: string; authorization: string | null }[] = [];
	vi.stubGlobal(
		"fetch",
		vi.fn(async (url: string, init: RequestInit) => {
			calls.push({ url, authorization: new Headers(init.headers).get("Authorization") });
			return answers.shift() ?? Response.json({ success: true, data: { token: "rk_tmp_next", expires_at: "x" } }, { status: 201 });
		}),
	);
	return calls;
}

const ticket = (token: string) => Response.json({ success: true, data: { token, expires_at: "2026-01-01T00:05:00Z" } }, { status: 201 });

describe("live-source (WebSocket with tickets)", () => {
	beforeEach(() => {
		FakeSocket.opened = [];
		vi.stubGlobal("sessionStorage", { getItem: () => "admin-token" });
		vi.stubGlobal("location", { origin: "https://dash.example" });
	});
	afterEach(() => vi.unstubAllGlobals());

	it("opens the socket with a ticket asked for with the admin token, never the admin token itself", async () => {
		const calls = fakeTickets([ticket("rk_tmp_one")]);
		const stop = subscribe("sales", { onSnapshot: () => {}, onChanges: () => {}, onStatus: () => {} }, { WebSocket: FakeSocket });
		await vi.waitFor(() => expect(FakeSocket.opened).toHaveLength(1));
		stop();
		expect(calls).toEqual([{ url: "/api/admin/streams/sales/tickets", authorization: "Bearer admin-token" }]);
		const url = new URL(FakeSocket.opened[0]?.url ?? "");
		expect(`${url.protocol}//${url.host}${url.pathname}`).toBe("wss://dash.example/api/streams/sales/ws");
		expect(url.searchParams.get("token")).toBe("rk_tmp_one");
		expect(url.search).not.toContain("admin-token");
	});

	it("hands snapshot and change frames to the view, and reports the connection", async () => {
		fakeTickets([ticket("rk_tmp_one")]);
		const events: unknown[] = [];
		const statuses: LiveStatus[] = [];
		const stop = subscribe(
			"sales",
			{
				onSnapshot: (seq, items) => events.push(["snapshot", seq, items.map((i) => i.key)]),
				onChanges: (from, to, items, removed) => events.push(["changes", from, to, items.map((i) => i.key), removed]),
				onStatus: (status) => statuses.push(status),
			},
			{ WebSocket: FakeSocket },
		);
		await vi.waitFor(() => expect(FakeSocket.opened).toHaveLength(1));
		const socket = FakeSocket.opened[0] as FakeSocket;
		socket.frame({ type: "snapshot", seq: 2, complete: true, items: [item("a", 1), item("b", 2)] });
		socket.frame({ type: "changes", from: 3, to: 4, complete: true, items: [item("c", 3), item("a", 4)], removed: ["b"] });
		stop();
		expect(events).toEqual([
			["snapshot", 2, ["a", "b"]],
			["changes", 3, 4, ["c", "a"], ["b"]],
		]);
		expect(statuses).toEqual(["connecting", "live", "offline"]);
	});

	it("hands the view a fresh snapshot sent on a live socket (a replace or a clear), and removed keys", async () => {
		fakeTickets([ticket("rk_tmp_one")]);
		const events: unknown[] = [];
		const stop = subscribe(
			"sales",
			{
				onSnapshot: (seq, items) => events.push(["snapshot", seq, items.map((i) => i.key)]),
				onChanges: (from, to, items, removed) => events.push(["changes", from, to, items.map((i) => i.key), removed]),
				onStatus: () => {},
			},
			{ WebSocket: FakeSocket },
		);
		await vi.waitFor(() => expect(FakeSocket.opened).toHaveLength(1));
		const socket = FakeSocket.opened[0] as FakeSocket;
		socket.frame({ type: "snapshot", seq: 2, complete: true, items: [item("a", 1), item("b", 2)] });
		socket.frame({ type: "changes", from: 3, to: 3, complete: true, items: [], removed: ["a"] });
		socket.frame({ type: "snapshot", seq: 5, complete: false, items: [item("x", 4)] });
		socket.frame({ type: "snapshot", seq: 5, complete: true, items: [item("y", 5)] });
		socket.frame({ type: "snapshot", seq: 6, complete: true, items: [] });
		stop();
		expect(events).toEqual([
			["snapshot", 2, ["a", "b"]],
			["changes", 3, 3, [], ["a"]],
			["snapshot", 5, ["x", "y"]],
			["snapshot", 6, []],
		]);
	});

	it("goes offline and stops asking when the stream does not exist", async () => {
		const calls = fakeTickets([
			Response.json({ success: false, error: { code: "STREAM_NOT_FOUND", message: "no" }, request_id: "req_x" }, { status: 404 }),
		]);
		const statuses: LiveStatus[] = [];
		const stop = subscribe("nope", { onSnapshot: () => {}, onChanges: () => {}, onStatus: (status) => statuses.push(status) }, { WebSocket: FakeSocket });
		await vi.waitFor(() => expect(statuses).toContain("offline"));
		await new Promise((resolve) => setTimeout(resolve, 300));
		stop();
		expect(calls).toHaveLength(1);
		expect(FakeSocket.opened).toHaveLength(0);
	});
});
