import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { LogRecord } from "../../src/storage/connector-logs";
import { LogOutbox } from "../../src/stream/log-outbox";
import type { StreamObject } from "../../src/stream/stream-object";
import { streamStub } from "../../src/stream/stub";
import { freshStream } from "../helpers";

const entry = (n: number, error: string | null = null): LogRecord => ({
	request_id: `req_${String(n).padStart(26, "0")}`,
	connector_id: "con_test",
	received_at: new Date(1_700_000_000_000 + n).toISOString(),
	items_received: n,
	status: "processed",
	error,
	idempotency_key: null,
	http_status: 202,
	operation: "upsert",
});

/** Runs `check` against the log outbox of a fresh stream object's own SQLite. */
function withOutbox(check: (outbox: LogOutbox) => void): Promise<void> {
	return runInDurableObject(streamStub(env, freshStream("outbox")), (_instance: StreamObject, state) => check(new LogOutbox(state.storage.sql)));
}

describe("LogOutbox", () => {
	it("hands out entries oldest first, in runs bounded by count, and forgets only what was handed out", () =>
		withOutbox((outbox) => {
			expect(outbox.isEmpty()).toBe(true);
			expect(outbox.pending()).toBeNull();
			outbox.add([entry(1), entry(2), entry(3)]);
			outbox.add([]);
			outbox.add([entry(4)]);
			const first = outbox.pending(3);
			expect(first?.records).toEqual([entry(1), entry(2), entry(3)]);
			// Entries added while a run is out (the D1 write awaits) come after it and stay.
			outbox.add([entry(5)]);
			outbox.remove(first?.upTo as number);
			expect(outbox.pending()?.records).toEqual([entry(4), entry(5)]);
			outbox.remove(outbox.pending()?.upTo as number);
			expect(outbox.isEmpty()).toBe(true);
		}));

	it("bounds a run by bytes of JSON, but always hands out at least one entry", () =>
		withOutbox((outbox) => {
			const big = "e".repeat(2000);
			outbox.add([entry(1, big), entry(2, big), entry(3, big)]);
			const size = JSON.stringify(entry(1, big)).length;
			expect(outbox.pending(500, 2 * size)?.records.map((record) => record.items_received)).toEqual([1, 2]);
			expect(outbox.pending(500, 10)?.records.map((record) => record.items_received)).toEqual([1]);
		}));
});
