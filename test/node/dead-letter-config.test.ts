import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DEAD_LETTER_MAX_RETRIES } from "../../src/services/queue/dead-letter-retry.ts";

const toml = readFileSync(new URL("../../wrangler.toml", import.meta.url), "utf8");

/** The `[[queues.consumers]]` or `[[queues.producers]]` table of wrangler.toml for a queue. */
function table(kind: "consumers" | "producers", queue: string): string | undefined {
	return toml.split(/^(?=\[)/m).find((block) => block.startsWith(`[[queues.${kind}]]`) && block.split("\n").includes(`queue = "${queue}"`));
}

describe("the dead-letter queue's configuration", () => {
	it("retries as often as the consumer counts on (the Queues maximum), and lets the consumer send to it anew", () => {
		expect(table("consumers", "datapool-ingest-dlq")).toMatch(new RegExp(`^max_retries = ${DEAD_LETTER_MAX_RETRIES}$`, "m"));
		expect(table("producers", "datapool-ingest-dlq")).toMatch(/^binding = "DEAD_LETTER_QUEUE"$/m);
	});
});
