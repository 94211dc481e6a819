// Connectors, keys and tokens for benchmarks, made through the admin API of a running server.
export interface BenchStream {
	stream: string;
	connectorId: string;
	key: string;
	rendererToken: string;
}

/** A fresh stream with a connector (rate limit high enough not to interfere), a key and a renderer token. */
export async function benchStream(url: string, adminToken: string, itemKey: string | null = "id"): Promise<BenchStream> {
	const call = async <T>(path: string, body?: unknown): Promise<T> => {
		const response = await fetch(`${url}/api/admin${path}`, {
			method: "POST",
			headers: { Authorization: `Bearer ${adminToken}`, "Content-Type": "application/json" },
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
		return ((await response.json()) as { data: T }).data;
	};
	const stream = `bench-${crypto.randomUUID().slice(0, 12)}`;
	const connector = await call<{ id: string }>("/connectors", {
		name: `Benchmark ${stream}`,
		stream,
		item_key: itemKey,
		rate_limit: { requests: 1_000_000, period_seconds: 1 },
	});
	const key = await call<{ key: string }>(`/connectors/${connector.id}/keys`);
	const token = await call<{ token: string }>(`/streams/${stream}/tokens`);
	return { stream, connectorId: connector.id, key: key.key, rendererToken: token.token };
}
