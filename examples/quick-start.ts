import { BatchError, DataPoolError, DataPoolIngest } from "datapool-ingest/sdk";

const client = new DataPoolIngest({
	key: process.env.DATAPOOL_INGEST_KEY ?? "", // ik_live_…
	baseUrl: process.env.DATAPOOL_URL ?? "http://localhost:8787",
	timeoutMs: 30_000, // per attempt
	maxAttempts: 5, // the first included
	maxElapsedMs: 60_000, // for the whole call, waits included
});

// One request: accepted whole (202) or refused whole.
try {
	const result = await client.ingest(
		[
			{ region: "North", revenue: 1200 },
			{ region: "South", revenue: 900 },
		],
		{ itemKey: "region" }, // X-Item-Key; optional when the connector has an item_key
	);
	console.log(result); // { stream: "sales", items_received: 2, request_id: "req_…", replayed: false }
} catch (error) {
	if (error instanceof DataPoolError) console.error(error.code, error.status, error.requestId, error.details);
	throw error;
}

// Many items: the batcher sends them in requests of at most 500 items / 900 KiB,
// or whatever it holds one second after the first item arrived.
const batcher = client.createBatcher({
	itemKey: "region",
	maxItems: 500,
	maxBytes: 900 * 1024,
	flushIntervalMs: 1000,
	maxBufferedItems: 10_000, // add() waits beyond this: backpressure
	onBatch: (result, items) => console.log(`${items.length} items accepted (${result.request_id})`),
	onError: ({ error, items }) => console.error(`${items.length} items refused: ${error.code}`),
});
for (let store = 1; store <= 1200; store++) {
	await batcher.add({ region: `store-${store}`, revenue: store * 10 });
}
try {
	await batcher.close(); // flushes, then resolves once the API has answered every batch
} catch (error) {
	if (error instanceof BatchError) console.error(error.failures); // each failed batch, with its items
	throw error;
}
