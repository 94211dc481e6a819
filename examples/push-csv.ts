// Pushes a CSV file into a DataPool stream, one item per row, through the SDK's batcher.
//
//   node examples/push-csv.ts sales.csv --url http://localhost:8787 --key ik_live_… [--item-key order_id]
//
// Node 24 runs this file as it is (it strips the types). The key may come from DATAPOOL_INGEST_KEY instead of --key.
// Re-running the same file within 24 hours is safe: each batch's Idempotency-Key is derived from its
// bytes, so batches the API already has are answered as replays and nothing is applied twice.
import { createReadStream, statSync } from "node:fs";
import { parseArgs } from "node:util";
import { parse } from "csv-parse";
import { BatchError, DataPoolIngest } from "datapool-ingest/sdk";
import { ProgressBar } from "./progress-bar.ts";

const USAGE = "usage: node examples/push-csv.ts <file.csv> --url <base url> --key <ik_live_…> [--item-key <column>] [--stream <name>] [--max-items <n>]";

const { values, positionals } = parseArgs({
	allowPositionals: true,
	options: {
		url: { type: "string" },
		key: { type: "string" },
		"item-key": { type: "string" },
		stream: { type: "string" },
		"max-items": { type: "string" },
	},
});
const file = positionals[0];
const key = values.key ?? process.env.DATAPOOL_INGEST_KEY;
if (!file || !values.url || !key) {
	console.error(USAGE);
	process.exit(2);
}

const client = new DataPoolIngest({ key, baseUrl: values.url });
const bar = new ProgressBar();
const totalBytes = statSync(file).size;
const input = createReadStream(file);
let rows = 0;
let accepted = 0;
let replayed = 0;
const progress = () => `${accepted}/${rows} rows accepted${replayed ? ` (${replayed} already there)` : ""}`;

const batcher = client.createBatcher({
	...(values["item-key"] === undefined ? {} : { itemKey: values["item-key"] }),
	...(values.stream === undefined ? {} : { stream: values.stream }),
	...(values["max-items"] === undefined ? {} : { maxItems: Number(values["max-items"]) }),
	onBatch(result) {
		accepted += result.items_received;
		if (result.replayed) replayed += result.items_received;
		bar.update(input.bytesRead / totalBytes, progress());
	},
});

// Every column as a string, keyed by the header row; a BOM from spreadsheet exports is dropped.
const records = input.pipe(parse({ columns: true, bom: true, skip_empty_lines: true }));
try {
	for await (const record of records) {
		rows += 1;
		// add() waits while the batcher is full, which pauses reading the file.
		await batcher.add(record);
		bar.update(input.bytesRead / totalBytes, progress());
	}
	await batcher.close();
	bar.finish(1, progress());
} catch (error) {
	bar.finish(input.bytesRead / totalBytes, progress());
	if (error instanceof BatchError) {
		for (const failure of error.failures) {
			console.error(`${failure.items.length} rows not accepted: ${failure.error.code} ${failure.error.message}`);
		}
	} else {
		console.error(error instanceof Error ? error.message : error);
	}
	process.exit(1);
}
