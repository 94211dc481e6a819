import { describe, expect, it } from "vitest";
import { RateWindow } from "../../src/web/rate-window";

describe("RateWindow", () => {
	it("counts per second over the window and forgets what fell out of it", () => {
		const window = new RateWindow(3);
		window.add(2, 10_100);
		window.add(1, 10_900);
		window.add(5, 12_000);
		expect(window.series(12_500)).toEqual([
			[10, 11, 12],
			[3, 0, 5],
		]);
		expect(window.series(14_000)).toEqual([
			[12, 13, 14],
			[5, 0, 0],
		]);
		expect(window.series(11_000)[1]).toEqual([0, 0, 0]);
	});
});
