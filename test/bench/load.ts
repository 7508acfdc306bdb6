/**
 * One load generator for every HTTP benchmark, so ours and the baseline see the
 * same client. On a small machine the client and the servers fight for CPUs, so
 * `npm run bench` pins this process to CPU 0 and benchmarks pin servers to CPU 1.
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

export interface LoadResult {
  requestsPerSecond: number;
  requests: number;
  failures: number;
}

export interface Target {
  readonly url: string;
  /** The server's pid, to read how much CPU it spent. */
  readonly pid: number;
}

export async function load(url: string, seconds: number, connections = 32): Promise<LoadResult> {
  const result = await autocannon({ url, connections, duration: seconds, pipelining: 1 });
  return {
    requestsPerSecond: result.requests.average,
    requests: result.requests.total,
    failures: result.errors + result.timeouts + result.non2xx,
  };
}

/** CPU seconds (user + system) a process has used, from /proc. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function measured(target: Target, seconds: number) {
  const before = cpuSeconds(target.pid);
  const result = await load(target.url, seconds);
  return { ...result, perCpuSecond: result.requests / Math.max(cpuSeconds(target.pid) - before, 0.01) };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/**
 * Warm both up (V8 needs several seconds to optimise a server's hot path), then
 * alternate ours and the baseline round after round so drift hits both alike.
 * Ratios are medians of the per-round ratios.
 */
export async function compare(ours: Target, baseline: Target, options: { rounds: number; seconds: number; warmupSeconds: number }) {
  for (let i = 0; i < 2; i++) {
    await load(ours.url, options.warmupSeconds);
    await load(baseline.url, options.warmupSeconds);
  }
  const rounds: { ours: number; baseline: number; oursCpu: number; baselineCpu: number }[] = [];
  let failures = 0;
  for (let round = 0; round < options.rounds; round++) {
    const a = await measured(ours, options.seconds);
    const b = await measured(baseline, options.seconds);
    failures += a.failures + b.failures;
    rounds.push({ ours: a.requestsPerSecond, baseline: b.requestsPerSecond, oursCpu: a.perCpuSecond, baselineCpu: b.perCpuSecond });
    if (process.env.BENCH_VERBOSE) {
      console.error(`  round ${round + 1}: ours ${Math.round(a.requestsPerSecond)}/s (${Math.round(a.perCpuSecond)}/cpu-s), baseline ${Math.round(b.requestsPerSecond)}/s (${Math.round(b.perCpuSecond)}/cpu-s)`);
    }
  }
  return {
    ratio: median(rounds.map((r) => r.ours / r.baseline)),
    cpuRatio: median(rounds.map((r) => r.oursCpu / r.baselineCpu)),
    ours: median(rounds.map((r) => r.ours)),
    baseline: median(rounds.map((r) => r.baseline)),
    failures,
  };
}

export function report(name: string, ratio: number, ours: number, baseline: number, unit = '/s'): string {
  return `${name}: ratio ${ratio.toFixed(2)} (ours ${Math.round(ours)}${unit}, baseline ${Math.round(baseline)}${unit})`;
}
