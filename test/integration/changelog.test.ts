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

describe("Changelog.prune", () => {
	it("keeps the rows from the first one within both bounds on: by count behind the head, and by age", () =>
		runInDurableObject(streamStub(env, freshStream("changelog")), (_instance: StreamObject, state) => {
			const changelog = new Changelog(state.storage.sql);
			const seqs = () => state.storage.sql.exec<{ seq: number }>("SELECT seq FROM changelog ORDER BY seq").toArray().map((row) => row.seq);
			// Seqs 1-10 changed at 1,000, 11-20 at 2,000, 21-30 at 3,000.
			for (const [from, at] of [[1, 1000], [11, 2000], [21, 3000]] as const) {
				changelog.recordAll(Array.from({ length: 10 }, (_, i) => [from + i, `k${from + i}`, (i % 2) as 0 | 1]), at);
			}
			// The count bound alone: 25 behind the head of 30 keeps 6-30.
			changelog.prune(30, { maxEntries: 25, maxAgeMs: 10_000 }, 3000);
			expect(seqs()).toEqual(Array.from({ length: 25 }, (_, i) => i + 6));
			// The age bound: at 3,500, 1,000 ms keeps what changed at 2,500 or later (21-30).
			changelog.prune(30, { maxEntries: 25, maxAgeMs: 1000 }, 3500);
			expect(seqs()).toEqual(Array.from({ length: 10 }, (_, i) => i + 21));
			// Everything older than the age bound: nothing kept.
			changelog.prune(30, { maxEntries: 25, maxAgeMs: 1000 }, 10_000);
			expect(seqs()).toEqual([]);
			expect(changelog.covers(30, 30)).toBe(true);
			expect(changelog.covers(29, 30)).toBe(false);
		}));
});
