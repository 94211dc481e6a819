// The browser client's state, frame by frame, over a scripted socket: what it keeps after
// deletes, replaces and clears, and after a connection that dropped mid-snapshot.
import { afterEach, describe, expect, it, vi } from "vitest";
import { StreamClient, type StreamItem } from "../../src/client/stream-client";
import { FakeSocket } from "../shared/fake-socket";

const item = (key: string, seq: number): StreamItem => ({ key, value: { key }, seq, updated_at: "2026-01-01T00:00:00.000Z" });

const clients: StreamClient[] = [];
afterEach(() => {
	for (const client of clients.splice(0)) client.close();
	FakeSocket.opened = [];
});

async function connected(): Promise<{ client: StreamClient; socket: () => FakeSocket }> {
	const client = new StreamClient({ baseUrl: "http://localhost", stream: "s", token: "rk_test", minReconnectDelayMs: 1, WebSocket: FakeSocket });
	clients.push(client);
	await vi.waitFor(() => expect(FakeSocket.opened.at(-1)?.readyState).toBe(1));
	return { client, socket: () => FakeSocket.opened.at(-1) as FakeSocket };
}

const keys = (client: StreamClient) => [...client.items.keys()].sort();

describe("StreamClient state", () => {
	it("deletes the removed keys of a changes frame", async () => {
		const { client, socket } = await connected();
		socket().frame({ type: "snapshot", seq: 2, complete: true, items: [item("a", 1), item("b", 2)] });
		socket().frame({ type: "changes", from: 3, to: 4, complete: true, items: [item("c", 4)], removed: ["a"] });
		expect(keys(client)).toEqual(["b", "c"]);
		expect(client.seq).toBe(4);
	});

	it("removes keys named only by the last frame of a batch split in several", async () => {
		const { client, socket } = await connected();
		socket().frame({ type: "snapshot", seq: 2, complete: true, items: [item("a", 1), item("b", 2)] });
		socket().frame({ type: "changes", from: 3, to: 3, complete: false, items: [item("c", 3)] });
		expect(keys(client)).toEqual(["a", "b"]);
		socket().frame({ type: "changes", from: 4, to: 5, complete: true, items: [], removed: ["a", "b"] });
		expect(keys(client)).toEqual(["c"]);
	});

	it("replaces its whole state with a snapshot sent on a live socket (a replace or a clear)", async () => {
		const { client, socket } = await connected();
		const snapshots: number[] = [];
		client.on("snapshot", ({ seq }) => snapshots.push(seq));
		socket().frame({ type: "snapshot", seq: 2, complete: true, items: [item("a", 1), item("b", 2)] });
		socket().frame({ type: "changes", from: 3, to: 3, complete: true, items: [item("c", 3)] });
		// A replace by x and y: a fresh snapshot in two frames.
		socket().frame({ type: "snapshot", seq: 6, complete: false, items: [item("x", 5)] });
		expect(keys(client)).toEqual(["a", "b", "c"]);
		socket().frame({ type: "snapshot", seq: 6, complete: true, items: [item("y", 6)] });
		expect(keys(client)).toEqual(["x", "y"]);
		// A clear: an empty snapshot.
		socket().frame({ type: "snapshot", seq: 9, complete: true, items: [] });
		expect(client.items.size).toBe(0);
		expect(client.seq).toBe(9);
		expect(snapshots).toEqual([2, 6, 9]);
		// Changes continue after the snapshot's seq.
		socket().frame({ type: "changes", from: 10, to: 10, complete: true, items: [item("z", 10)] });
		expect(keys(client)).toEqual(["z"]);
	});

	it("forgets the frames of a snapshot the connection dropped in the middle of", async () => {
		const { client, socket } = await connected();
		const first = socket();
		first.frame({ type: "snapshot", seq: 3, complete: false, items: [item("old", 1)] });
		first.drop();
		await vi.waitFor(() => expect(FakeSocket.opened.at(-1)).not.toBe(first));
		await vi.waitFor(() => expect(socket().readyState).toBe(1));
		// Since the stream was replaced meanwhile, the new connection's snapshot no longer holds "old".
		socket().frame({ type: "snapshot", seq: 5, complete: true, items: [item("new", 5)] });
		expect(keys(client)).toEqual(["new"]);
	});

	it("closes for good and forgets its items when the stream is deleted (4004), instead of reconnecting", async () => {
		const { client, socket } = await connected();
		const states: string[] = [];
		client.on("status", (state) => states.push(state));
		socket().frame({ type: "snapshot", seq: 1, complete: true, items: [item("a", 1)] });
		const opened = FakeSocket.opened.length;
		socket().drop(4004);
		expect(client.state).toBe("closed");
		expect(client.items.size).toBe(0);
		expect(states).toContain("closed");
		await new Promise((resolve) => setTimeout(resolve, 50));
		expect(FakeSocket.opened.length).toBe(opened);
	});
});
