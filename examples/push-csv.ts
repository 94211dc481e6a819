// Pushes a CSV file into a DataPool stream, one item per row, through the SDK's batcher.
//
//   node examples/push-csv.ts sales.csv --url http://localhost:8787 --key ik_live_… [--item-key order_id]
//
// Node 24 runs this file as it is (it strips the types). The key may come from DATAPOOL_INGEST_KEY instead of --key.
// Re-running the same, unchanged file within 24 hours is a no-op: each batch's Idempotency-Key names the
// source (the file, its size and modification time) and the rows the batch holds, so batches the API
// already has are answered as replays. An edited file is a new import, and its rows are applied again.
import { createHash } from "node:crypto";
import { createReadStream, statSync } from "node:fs";
import { resolve } from "node:path";
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
const stat = statSync(file);
const totalBytes = stat.size;
// A key names one import of one source; the item key is part of it, since it changes what the rows mean.
const source = createHash("sha256")
	.update(JSON.stringify([resolve(file), stat.size, stat.mtimeMs, values["item-key"] ?? null, values.stream ?? null]))
	.digest("hex")
	.slice(0, 32);
const input = createReadStream(file);
let rows = 0;
let accepted = 0;
let replayed = 0;
const progress = () => `${accepted}/${rows} rows accepted${replayed ? ` (${replayed} already there)` : ""}`;

const batcher = client.createBatcher({
	...(values["item-key"] === undefined ? {} : { itemKey: values["item-key"] }),
	...(values.stream === undefined ? {} : { stream: values.stream }),
	...(values["max-items"] === undefined ? {} : { maxItems: Number(values["max-items"]) }),
	// Rows `offset` to `offset + length` of this source: the same rows whenever the same key comes again.
	idempotencyKey: ({ items, offset }) => `csv_${source}_${offset}_${items.length}`,
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
