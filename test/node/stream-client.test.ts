import { DataPoolIngest } from "datapool-ingest/sdk";
import { afterEach, describe, expect, it } from "vitest";
import { StreamClient, type StreamClientEvents } from "../../src/client/stream-client";
import { adminCall, eventually, ingestItems, serverUrl, setupStream, snapshot } from "./api";
import { type CuttableProxy, startProxy } from "./tcp-proxy";

const clients: StreamClient[] = [];
const proxies: CuttableProxy[] = [];
afterEach(async () => {
	for (const client of clients.splice(0)) client.close();
	for (const proxy of proxies.splice(0)) await proxy.close();
});

function record<K extends keyof StreamClientEvents>(client: StreamClient, event: K): StreamClientEvents[K][] {
	const seen: StreamClientEvents[K][] = [];
	client.on(event, (payload) => seen.push(payload));
	return seen;
}

describe("the browser client against a real server (npm start)", () => {
	it("receives the snapshot, then an ingested item as a change, over a real WebSocket", async () => {
		const s = await setupStream({ item_key: "id" });
		expect((await ingestItems(s.key, [{ id: "first" }])).status).toBe(202);
		await eventually(async () => expect((await snapshot(s.stream)).seq).toBe(1));

		const client = new StreamClient({ baseUrl: serverUrl(), stream: s.stream, token: s.rendererToken });
		clients.push(client);
		const changes = record(client, "change");
		await eventually(() => expect(client.state).toBe("live"));
		expect((await ingestItems(s.key, [{ id: "second", n: 2 }])).status).toBe(202);
		await eventually(() => expect(client.items.get("second")?.value).toEqual({ id: "second", n: 2 }));
		expect(changes.at(-1)?.items.map((item) => item.key)).toContain("second");
		expect(client.items.has("first")).toBe(true);
	});

	it("gets a fresh ticket for every connection from a token function", async () => {
		const s = await setupStream();
		let tickets = 0;
		const client = new StreamClient({
			baseUrl: serverUrl(),
			stream: s.stream,
			token: async () => {
				tickets++;
				return (await adminCall<{ token: string }>(`/streams/${s.stream}/tickets`, { method: "POST" }, 201)).token;
			},
		});
		clients.push(client);
		await eventually(() => expect(client.state).toBe("live"));
		expect(tickets).toBe(1);
	});

	it("reconnects after the network drops and resumes with since, missing nothing", async () => {
		const s = await setupStream({ item_key: "id" });
		const proxy = await startProxy(serverUrl());
		proxies.push(proxy);
		const client = new StreamClient({ baseUrl: proxy.url, stream: s.stream, token: s.rendererToken, minReconnectDelayMs: 50 });
		clients.push(client);
		const snapshots = record(client, "snapshot");
		const statuses = record(client, "status");
		await eventually(() => expect(client.state).toBe("live"));
		expect((await ingestItems(s.key, [{ id: "a" }])).status).toBe(202);
		await eventually(() => expect(client.items.has("a")).toBe(true));

		proxy.cutAll();
		await eventually(() => expect(statuses).toContain("reconnecting"));
		expect((await ingestItems(s.key, [{ id: "b" }, { id: "c" }])).status).toBe(202);
		await eventually(() => expect([...client.items.keys()].sort()).toEqual(["a", "b", "c"]));
		expect(client.state).toBe("live");
		// The reconnect resumed from its seq: the only snapshot is the first one.
		expect(snapshots).toHaveLength(1);
		expect(client.seq).toBe(3);
	});

	it("sees a deleted key go, as removed in a change, and the other keys stay", async () => {
		const { s, sdk, client } = await liveWith(["a", "b"]);
		const changes = record(client, "change");
		await sdk.delete("a", { itemKey: "id" });
		await eventually(() => expect(keys(client)).toEqual(["b"]));
		expect(changes.at(-1)?.removed).toEqual(["a"]);
		expect(client.seq).toBe((await snapshot(s.stream)).seq);
	});

	it("after a replace holds only the new items, from a fresh snapshot", async () => {
		const { sdk, client, snapshots } = await liveWith(["a", "b"]);
		await sdk.replace([{ id: "b", v: 2 }, { id: "c" }], { itemKey: "id" });
		await eventually(() => expect(keys(client)).toEqual(["b", "c"]));
		expect(client.items.get("b")?.value).toEqual({ id: "b", v: 2 });
		expect(snapshots).toHaveLength(2);
		// Changes after the replace apply on top of it.
		await sdk.ingest([{ id: "d" }], { itemKey: "id" });
		await eventually(() => expect(keys(client)).toEqual(["b", "c", "d"]));
	});

	it("after a clear holds nothing, then the items written since", async () => {
		const { sdk, client, snapshots } = await liveWith(["a", "b"]);
		await sdk.clear();
		await eventually(() => expect(snapshots).toHaveLength(2));
		expect(client.items.size).toBe(0);
		await sdk.ingest([{ id: "after" }], { itemKey: "id" });
		await eventually(() => expect(keys(client)).toEqual(["after"]));
	});

	it("resuming with a since older than a clear made while it was away, gets a snapshot without the cleared items", async () => {
		const s = await setupStream({ item_key: "id" });
		const sdk = new DataPoolIngest({ key: s.key, baseUrl: serverUrl() });
		const proxy = await startProxy(serverUrl());
		proxies.push(proxy);
		// The client reconnects only once the gate opens: after the clear, so it resumes from before it.
		let openGate = () => {};
		let gate = Promise.resolve();
		const sinces: string[] = [];
		const client = new StreamClient({
			baseUrl: proxy.url,
			stream: s.stream,
			token: async () => {
				await gate;
				sinces.push(String(client.seq));
				return s.rendererToken;
			},
			minReconnectDelayMs: 50,
		});
		clients.push(client);
		const snapshots = record(client, "snapshot");
		const statuses = record(client, "status");
		await eventually(() => expect(client.state).toBe("live"));
		await sdk.ingest([{ id: "a" }, { id: "b" }]);
		await eventually(() => expect(keys(client)).toEqual(["a", "b"]));
		const before = client.seq;

		gate = new Promise((resolve) => {
			openGate = resolve;
		});
		proxy.cutAll();
		await eventually(() => expect(statuses).toContain("reconnecting"));
		await sdk.clear();
		await sdk.ingest([{ id: "c" }]);
		await eventually(async () => expect((await snapshot(s.stream)).items.map((item) => item.key)).toEqual(["c"]));
		openGate();
		await eventually(() => expect(keys(client)).toEqual(["c"]));
		// It resumed with since = the seq before the clear, and was answered with a snapshot, not changes.
		expect(sinces).toEqual(["null", String(before)]);
		expect(snapshots).toHaveLength(2);
		expect(client.seq).toBe((await snapshot(s.stream)).seq);
	});
});

const keys = (client: StreamClient) => [...client.items.keys()].sort();

/** A fresh keyed stream holding `ids`, and a client that is live and has them. */
async function liveWith(ids: string[]) {
	const s = await setupStream({ item_key: "id" });
	const sdk = new DataPoolIngest({ key: s.key, baseUrl: serverUrl() });
	await sdk.ingest(ids.map((id) => ({ id })));
	await eventually(async () => expect((await snapshot(s.stream)).items).toHaveLength(ids.length));
	const client = new StreamClient({ baseUrl: serverUrl(), stream: s.stream, token: s.rendererToken });
	clients.push(client);
	const snapshots = record(client, "snapshot");
	await eventually(() => expect(keys(client)).toEqual([...ids].sort()));
	return { s, sdk, client, snapshots };
}
