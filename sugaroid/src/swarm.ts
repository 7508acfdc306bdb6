/**
 * Many laptops at once: run one action per laptop with a bounded number in
 * flight, and report completion time, latency percentiles and errors by code.
 */
import { isSugaroidError } from './errors.js';

export interface SwarmOptions {
  /** How many actions run at the same moment; all of them unless given. */
  readonly concurrency?: number;
}

export interface SwarmReport<T> {
  readonly count: number;
  readonly ok: number;
  readonly errors: number;
  /** Error count by code (`SUGAROID_ERR_*`, or the error's name). */
  readonly errorsByCode: Readonly<Record<string, number>>;
  /** First error message seen for each code, to show what went wrong. */
  readonly firstErrors: Readonly<Record<string, string>>;
  /** Wall time from the first start to the last finish. */
  readonly elapsedMs: number;
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number };
  /** Results of the actions that succeeded, by index. */
  readonly results: readonly (T | undefined)[];
}

export async function swarm<T>(count: number, action: (index: number) => Promise<T>, options: SwarmOptions = {}): Promise<SwarmReport<T>> {
  const concurrency = Math.max(1, Math.min(options.concurrency ?? count, count));
  const latencies: number[] = [];
  const results: (T | undefined)[] = new Array(count);
  const errorsByCode: Record<string, number> = {};
  const firstErrors: Record<string, string> = {};
  let next = 0;
  const started = performance.now();

  const worker = async () => {
    while (next < count) {
      const index = next++;
      const t0 = performance.now();
      try {
        results[index] = await action(index);
      } catch (err) {
        const code = isSugaroidError(err) ? err.code : err instanceof Error ? err.name : 'Error';
        errorsByCode[code] = (errorsByCode[code] ?? 0) + 1;
        firstErrors[code] ??= err instanceof Error ? err.message : String(err);
      }
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));

  const errors = Object.values(errorsByCode).reduce((sum, n) => sum + n, 0);
  return {
    count,
    ok: count - errors,
    errors,
    errorsByCode,
    firstErrors,
    elapsedMs: performance.now() - started,
    latencyMs: { p50: percentile(latencies, 50), p90: percentile(latencies, 90), p99: percentile(latencies, 99), max: Math.max(0, ...latencies) },
    results,
  };
}

/** Nearest-rank percentile of `values` (milliseconds). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** One line for people: `1000 ok, 0 errors in 812 ms; p50 120 ms, p90 300 ms, p99 410 ms`. */
export function describeSwarm(report: SwarmReport<unknown>): string {
  const { latencyMs: l } = report;
  const errors = Object.entries(report.errorsByCode).map(([code, n]) => `${code} ×${n}: ${report.firstErrors[code]}`);
  return (
    `${report.ok} ok, ${report.errors} errors in ${Math.round(report.elapsedMs)} ms; ` +
    `p50 ${l.p50.toFixed(1)} ms, p90 ${l.p90.toFixed(1)} ms, p99 ${l.p99.toFixed(1)} ms, max ${l.max.toFixed(1)} ms` +
    (errors.length ? `\n  ${errors.join('\n  ')}` : '')
  );
}
