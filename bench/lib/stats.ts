import { loadavg } from 'node:os';

/**
 * Small numeric helpers shared by the benchmarks: percentiles, a plain-text table, and the
 * header every run prints (date, load, command), so a pasted result says how it was produced.
 */

/** Nearest-rank percentile (p in 0..100) of unsorted samples; NaN when there are none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export const median = (samples: readonly number[]): number => percentile(samples, 50);

export function mean(samples: readonly number[]): number {
  return samples.length === 0 ? Number.NaN : samples.reduce((a, b) => a + b, 0) / samples.length;
}

/** Milliseconds since `start` (a process.hrtime.bigint() value), as a float. */
export function msSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export function fmt(value: number, digits = 2): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '–';
}

/** A left-aligned first column, right-aligned numbers; also valid Markdown. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

export function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

/** The command line that started this process, as one would type it from the checkout. */
export function commandLine(): string {
  const node = ['node', ...process.execArgv];
  const script = process.argv[1] ? [relativeScript(process.argv[1])] : [];
  return [...node, ...script, ...process.argv.slice(2)].join(' ');
}

function relativeScript(file: string): string {
  const cwd = process.cwd();
  return file.startsWith(`${cwd}/`) ? file.slice(cwd.length + 1) : file;
}

export function printHeader(title: string): void {
  console.log(`# ${title}`);
  console.log(`date: ${new Date().toISOString()}  load average: ${loadAverage()}  node ${process.version}`);
  console.log(`command: ${commandLine()}`);
}

/** `--name value` or `--name=value` from argv, else the default. */
export function argNumber(name: string, fallback: number): number {
  const value = argString(name);
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`--${name} must be a number, got ${value}`);
  return n;
}

export function argString(name: string): string | undefined {
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === `--${name}`) return args[i + 1];
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
  }
  return undefined;
}

export function argFlag(name: string): boolean {
  return process.argv.slice(2).includes(`--${name}`);
}
