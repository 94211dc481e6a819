// The benchmarks' baselines do what their tables say: the steady load is evenly paced (autocannon's -R is not:
// it sends a second's requests back to back), and the bare pipeline stores, sequences and broadcasts every item
// it accepts, so the figures it gives are those of the real topology, not of a no-op.
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openMarkerSocket } from "../../bench/lib/marker-socket.ts";
import { startPacedLoad } from "../../bench/lib/paced-load.ts";
import { waitForSeq } from "../../bench/lib/stream-state.ts";
import { type WranglerDev, startWranglerDev } from "../../bench/lib/wrangler-dev.ts";

describe("paced load", () => {
	let server: Server;
	let url: string;
	const arrivals: number[] = [];
	beforeAll(async () => {
		server = createServer((request, response) => {
			arrivals.push(performance.now());
			request.resume();
			request.on("end", () => response.writeHead(request.headers.authorization === "Bearer k" ? 202 : 401).end());
		});
		await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
		url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
	});
	afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

	it("sends its requests spread evenly over the run, with the key, and counts the answers", async () => {
		const result = await startPacedLoad(url, 40, 2, "k").done;
		expect(result).toMatchObject({ sent: 80, ok: 80, failed: 0 });
		expect(arrivals).toHaveLength(80);
		// Evenly paced, each quarter of the run gets about a quarter of the requests; a loader that sends a
		// second's requests as the second starts puts all of them in its first half-second.
		const first = arrivals[0] as number;
		const quarters = [0, 1, 2, 3].map((q) => arrivals.filter((at) => at - first >= q * 500 && at - first < (q + 1) * 500).length);
		for (const count of quarters) expect(count).toBeLessThanOrEqual(30);
		expect(quarters.reduce((sum, count) => sum + count, 0)).toBe(80);
	});

	it("counts refused answers as failed", async () => {
		const result = await startPacedLoad(url, 20, 0.5, "wrong").done;
		expect(result).toMatchObject({ sent: 10, ok: 0, failed: 10 });
	});
});

describe("bare pipeline", () => {
	let pipeline: WranglerDev;
	beforeAll(async () => {
		pipeline = await startWranglerDev("bench/fixtures/bare-pipeline/wrangler.toml", "bare pipeline");
	}, 120_000);
	afterAll(() => pipeline?.stop());

	it("stores, sequences and broadcasts every item it accepts, through its queue", async () => {
		const socket = await openMarkerSocket(`${pipeline.url.replace("http", "ws")}/ws/checked`);
		try {
			const markers = Array.from({ length: 5 }, (_, i) => `marker-${i}-${crypto.randomUUID()}`);
			for (const marker of markers) {
				const arrival = socket.waitFor(marker);
				const response = await fetch(`${pipeline.url}/ingest/checked`, { method: "POST", body: JSON.stringify({ id: marker }) });
				expect(response.status).toBe(202);
				expect(((await response.json()) as { success: boolean }).success).toBe(true);
				await arrival;
				const frame = JSON.parse(socket.lastFrame()) as { type: string; items: { seq: number; value: { id: string } }[] };
				expect(frame.type).toBe("changes");
				expect(frame.items.map((item) => item.value.id)).toContain(marker);
			}
			// Every accepted item is stored, once: the seq the benchmarks wait on counts them.
			expect(await waitForSeq(pipeline.url, "", "checked", 5, 1_000, 30_000)).toBe(5);
			expect(await waitForSeq(pipeline.url, "", "another", 0, 500, 5_000)).toBe(0);
		} finally {
			socket.close();
		}
	}, 60_000);
});
