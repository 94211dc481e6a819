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
});
