import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { Changelog } from "../../src/stream/changelog";
import type { StreamObject } from "../../src/stream/stream-object";
import { streamStub } from "../../src/stream/stub";
import { freshStream } from "../helpers";

describe("Changelog.pruneIfDue", () => {
	it("prunes at once, then again only after 256 seqs or a second", () =>
		runInDurableObject(streamStub(env, freshStream("changelog")), (_instance: StreamObject, state) => {
			const changelog = new Changelog(state.storage.sql);
			const retention = { maxEntries: 10, maxAgeMs: 60_000 };
			let head = 0;
			const upTo = (to: number) => {
				const seqs = Array.from({ length: to - head }, (_, i) => head + i + 1);
				changelog.recordAll(seqs.map((seq) => [seq, `k${seq}`, 1] as [number, string, 1]), 1_000_000);
				head = to;
			};
			const oldest = () => state.storage.sql.exec<{ seq: number }>("SELECT MIN(seq) AS seq FROM changelog").one().seq;

			upTo(100);
			changelog.pruneIfDue(100, retention, 1_000_000);
			expect(oldest()).toBe(91);
			upTo(300);
			// 200 seqs and half a second later: not due.
			changelog.pruneIfDue(300, retention, 1_000_500);
			expect(oldest()).toBe(91);
			// A second after the last prune: due.
			changelog.pruneIfDue(300, retention, 1_001_000);
			expect(oldest()).toBe(291);
			upTo(556);
			// 256 seqs after the last prune, at once: due.
			changelog.pruneIfDue(556, retention, 1_001_001);
			expect(oldest()).toBe(547);
		}));
});
