/** Small statistics and formatting helpers for the bench: every figure it prints is a median or a percentile. */

export function percentile(samples: readonly number[], fraction: number): number {
	if (samples.length === 0) return Number.NaN;
	const sorted = [...samples].sort((a, b) => a - b);
	return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] as number;
}

export const median = (samples: readonly number[]) => percentile(samples, 0.5);

export function fixed(value: number, digits = 2): string {
	return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

/** `a / b` as `0.95×`, `12.3×` or `240×` (three significant figures at most), or `n/a` when a side is missing. */
export function ratio(a: number, b: number): string {
	const value = a / b;
	if (!(Number.isFinite(value) && value > 0)) return 'n/a';
	return `${value.toFixed(value >= 100 ? 0 : value >= 10 ? 1 : 2)}×`;
}

export type Cell = string | number;

/** Rows as an aligned Markdown table. */
export function table(headers: string[], rows: Cell[][]): string {
	const cells = [headers, ...rows.map((row) => row.map(String))];
	const widths = headers.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? '').length)));
	const line = (row: string[]) => `| ${row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' | ')} |`;
	return [
		line(headers),
		`| ${widths.map((width) => '-'.repeat(width)).join(' | ')} |`,
		...cells.slice(1).map(line),
	].join('\n');
}
