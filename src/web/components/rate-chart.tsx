import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";

const HEIGHT = 180;

const clockTime = (seconds: number) => new Date(seconds * 1000).toLocaleTimeString([], { hour12: false });

/** Items changed per second over the live view's window, drawn with uPlot. */
export function RateChart(props: { series: [number[], number[]] }) {
	const container = useRef<HTMLDivElement>(null);
	const chart = useRef<uPlot | null>(null);

	useEffect(() => {
		const element = container.current;
		if (!element) return;
		const plot = new uPlot(
			{
				width: Math.max(200, element.clientWidth),
				height: HEIGHT,
				legend: { show: false },
				// Room on the right for the last time label, which is centred on the plot's edge.
				padding: [8, 28, 0, 0],
				cursor: { drag: { x: false, y: false } },
				scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(5, Math.ceil(max * 1.2))] } },
				axes: [
					// One line of plain clock times: uPlot's default two-line date labels collide at phone widths.
					{ stroke: "#475569", grid: { stroke: "#e2e8f0" }, space: 80, values: (_u, splits) => splits.map(clockTime) },
					{ stroke: "#475569", grid: { stroke: "#e2e8f0" }, size: 44 },
				],
				series: [{}, { label: "items/s", stroke: "#1d4ed8", fill: "rgba(29, 78, 216, 0.12)", width: 2, points: { show: false } }],
			},
			props.series,
			element,
		);
		chart.current = plot;
		// The chart follows its box: the page is fluid down to phone widths.
		const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(200, element.clientWidth), height: HEIGHT }));
		resize.observe(element);
		return () => {
			resize.disconnect();
			plot.destroy();
			chart.current = null;
		};
	}, []);

	useEffect(() => {
		chart.current?.setData(props.series);
	}, [props.series]);

	const counts = props.series[1];
	const now = counts.at(-1) ?? 0;
	const peak = counts.reduce((max, count) => Math.max(max, count), 0);
	return (
		<figure class="chart">
			<div ref={container} role="img" aria-label={`Ingest rate chart: ${now} items per second now, peak ${peak} in the last minute.`} />
			<figcaption>
				Items changed per second, last {counts.length} s — now {now}/s, peak {peak}/s.
			</figcaption>
		</figure>
	);
}
