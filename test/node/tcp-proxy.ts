// A TCP proxy in front of the test server whose connections a test can cut, as a flaky network would.
import { type Server, type Socket, createConnection, createServer } from "node:net";

export interface CuttableProxy {
	url: string;
	/** Destroys every open connection (both sides). */
	cutAll(): void;
	close(): Promise<void>;
}

/** Starts a proxy on 127.0.0.1 forwarding to `target` (an http://host:port URL). */
export async function startProxy(target: string): Promise<CuttableProxy> {
	const { hostname, port } = new URL(target);
	const open = new Set<Socket>();
	const server: Server = createServer((client) => {
		const upstream = createConnection({ host: hostname, port: Number(port) });
		for (const socket of [client, upstream]) {
			open.add(socket);
			socket.on("close", () => open.delete(socket));
			socket.on("error", () => socket.destroy());
		}
		client.pipe(upstream).pipe(client);
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	const address = server.address();
	if (typeof address !== "object" || address === null) throw new Error("proxy has no address");
	return {
		url: `http://127.0.0.1:${address.port}`,
		cutAll() {
			for (const socket of open) socket.destroy();
		},
		close: () =>
			new Promise((resolve) => {
				for (const socket of open) socket.destroy();
				server.close(() => resolve());
			}),
	};
}
