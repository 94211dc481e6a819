/** The q-quantile (0..1) of samples, by nearest rank. */
export function quantile(samples: number[], q: number): number {
	if (samples.length === 0) return Number.NaN;
	const sorted = [...samples].sort((a, b) => a - b);
	const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
	return sorted[rank] as number;
}

/** p50/p95/p99 of samples. */
export function percentiles(samples: number[]): { p50: number; p95: number; p99: number } {
	return { p50: quantile(samples, 0.5), p95: quantile(samples, 0.95), p99: quantile(samples, 0.99) };
}

/** A number for a table: `digits` decimals. */
export function fmt(value: number, digits = 2): string {
	return Number.isFinite(value) ? value.toFixed(digits) : "n/a";
}

/** A markdown table. */
export function table(header: string[], rows: (string | number)[][]): string {
	const line = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
	return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/** The spread of a few rounds' values, "min–max", for a table beside their median. */
export function spread(values: number[], digits = 2): string {
	return values.length === 0 ? "n/a" : `${fmt(Math.min(...values), digits)}–${fmt(Math.max(...values), digits)}`;
}

/** "median (min–max)" of a few rounds' values. */
export function medianSpread(values: number[], digits = 2): string {
	return `${fmt(quantile(values, 0.5), digits)} (${spread(values, digits)})`;
}
