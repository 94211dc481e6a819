import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type LiveStatus, subscribe } from "../../src/web/live-source";
import type { StreamItem } from "../../src/web/types";

const item = (key: string, seq: number): StreamItem => ({ key, value: { key }, seq, updated_at: "2026-01-01T00:00:00.000Z" });

/** A fake stream API: answers each poll from `answers`, recording the URLs and tokens it was asked with. */
function fakeApi(answers: (Response | Error)[]) {
	const calls: { url: string; authorization: string | null }[] = [];
	vi.stubGlobal(
		"fetch",
		vi.fn(async (url: string, init: RequestInit) => {
			calls.push({ url, authorization: new Headers(init.headers).get("Authorization") });
			const answer = answers.shift() ?? Response.json({ success: true, data: { stream: "s", seq: 3, items: [] } });
			if (answer instanceof Error) throw answer;
			return answer;
		}),
	);
	return calls;
}

const snapshot = (seq: number, items: StreamItem[], resumed = false, removed: string[] = []) =>
	Response.json({ success: true, data: { stream: "s", seq, items, resumed, removed, next_after: null } });

describe("live-source (HTTP polling)", () => {
	beforeEach(() => {
		vi.useFakeTimers();
		vi.stubGlobal("sessionStorage", { getItem: () => "admin-token" });
		vi.stubGlobal("navigator", { onLine: true });
	});
	afterEach(() => {
		vi.useRealTimers();
		vi.unstubAllGlobals();
	});

	it("starts with a snapshot, then reports changes since the last seq, with the admin token", async () => {
		const calls = fakeApi([
			snapshot(2, [item("a", 1), item("b", 2)]),
			snapshot(2, [], true),
			snapshot(4, [item("c", 3), item("a", 4)], true, ["b"]),
		]);
		const events: unknown[] = [];
		const statuses: LiveStatus[] = [];
		const stop = subscribe("s", {
			onSnapshot: (seq, items) => events.push(["snapshot", seq, items.map((i) => i.key)]),
			onChanges: (from, to, items, removed) => events.push(["changes", from, to, items.map((i) => i.key), removed]),
			onStatus: (status) => statuses.push(status),
		});
		await vi.advanceTimersByTimeAsync(2500);
		stop();
		await vi.advanceTimersByTimeAsync(5000);

		expect(calls.map((call) => call.url)).toEqual(["/api/streams/s/items", "/api/streams/s/items?since=2", "/api/streams/s/items?since=2"]);
		expect(calls.every((call) => call.authorization === "Bearer admin-token")).toBe(true);
		expect(events).toEqual([
			["snapshot", 2, ["a", "b"]],
			["changes", 3, 4, ["c", "a"], ["b"]],
		]);
		expect(statuses[0]).toBe("connecting");
		expect(statuses.at(-1)).toBe("live");
	});

	it("starts over from a full snapshot when the changes since its seq are no longer retained", async () => {
		fakeApi([snapshot(2, [item("a", 2)]), snapshot(90, [item("z", 90)], false)]);
		const events: unknown[] = [];
		const stop = subscribe("s", {
			onSnapshot: (seq, items) => events.push(["snapshot", seq, items.map((i) => i.key)]),
			onChanges: (from, to) => events.push(["changes", from, to]),
			onStatus: () => {},
		});
		await vi.advanceTimersByTimeAsync(1500);
		stop();
		expect(events).toEqual([
			["snapshot", 2, ["a"]],
			["snapshot", 90, ["z"]],
		]);
	});

	it("reports reconnecting while polls fail and live again once one succeeds", async () => {
		fakeApi([new TypeError("fetch failed"), snapshot(1, [item("a", 1)])]);
		const statuses: LiveStatus[] = [];
		const stop = subscribe("s", { onSnapshot: () => {}, onChanges: () => {}, onStatus: (status) => statuses.push(status) });
		await vi.advanceTimersByTimeAsync(2100);
		stop();
		expect(statuses).toEqual(["connecting", "reconnecting", "live"]);
	});

	it("goes offline and stops asking when the stream does not exist", async () => {
		const calls = fakeApi([
			Response.json({ success: false, error: { code: "STREAM_NOT_FOUND", message: "no" }, request_id: "req_x" }, { status: 404 }),
		]);
		const statuses: LiveStatus[] = [];
		const stop = subscribe("s", { onSnapshot: () => {}, onChanges: () => {}, onStatus: (status) => statuses.push(status) });
		await vi.advanceTimersByTimeAsync(10_000);
		stop();
		expect(statuses).toEqual(["connecting", "offline"]);
		expect(calls).toHaveLength(1);
	});
});
