/**
 * What the soak reads about the daemon while it works: resident memory and
 * open file descriptors from /proc, and event-loop lag from its /metrics
 * (prom-client's `nodejs_eventloop_lag_*`, which start over at every scrape,
 * so one scrape a second gives each second's figures).
 *
 * A scrape is never given up on: the daemon starts its window over when it
 * serves one, answered or not, so a scrape abandoned during a stall would take
 * the stall's figures with it. One scrape is in flight at a time; while the
 * daemon is stuck it is the one that comes back with the stall.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Resident memory and open descriptors at one moment. */
export interface ProcessSample {
  readonly rssBytes: number;
  readonly fds: number;
  /** Resident memory of the processes the daemon's main thread forked (backup's SSH process), added up. */
  readonly childRssBytes: number;
}

/** The timer resolution of prom-client's delay histogram: every sample holds one whole interval. */
const LAG_RESOLUTION_MS = 10;
/** Only for a daemon that never answers again; the verdict fails on any scrape that did not answer. */
const SCRAPE_GIVE_UP_MS = 600_000;

export function sampleProcess(pid: number): ProcessSample {
  return { rssBytes: rssOf(pid) ?? Number.NaN, fds: readdirSync(`/proc/${pid}/fd`).length, childRssBytes: childRss(pid) };
}

function rssOf(pid: number | string): number | null {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKiB = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  return rssKiB === undefined ? null : Number(rssKiB) * 1024;
}

/**
 * The children of the main thread only: programs the core's launcher starts
 * (rsync, cp, find) are its thread's, and come and go.
 */
function childRss(pid: number): number {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  let total = 0;
  for (const child of children) {
    try {
      total += rssOf(child) ?? 0;
    } catch {
      // Ended between the listing and the read.
    }
  }
  return total;
}

/** One second's event-loop lag, in milliseconds beyond the timer interval. */
export interface LagSample {
  readonly p99: number;
  readonly max: number;
}

/** A second's lag and when it was read (ms since the epoch). */
export interface TimedLag extends LagSample {
  readonly at: number;
}

/** Read the lag series out of Prometheus text; null when the daemon does not export them. */
export function lagFromMetrics(text: string): LagSample | null {
  const read = (name: string) => {
    const match = new RegExp(`^${name} ([0-9.eE+-]+)$`, 'm').exec(text);
    return match ? Number(match[1]) * 1000 : null;
  };
  const p99 = read('nodejs_eventloop_lag_p99_seconds');
  const max = read('nodejs_eventloop_lag_max_seconds');
  if (p99 === null || max === null) return null;
  const beyond = (ms: number) => Math.max(0, ms - LAG_RESOLUTION_MS);
  return { p99: beyond(p99), max: beyond(max) };
}

/**
 * Samples the daemon once a second until stopped: process figures always,
 * lag from /metrics. `peak` is the highest memory and descriptor count seen.
 */
export class DaemonWatch {
  readonly lag: TimedLag[] = [];
  readonly samples: ProcessSample[] = [];
  /** Scrapes that failed or were not Prometheus text: the lag figures miss those windows. */
  scrapeFailures = 0;
  /** The longest a scrape took to answer, in ms: a stalled daemon answers late. */
  slowestScrapeMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private scraping = false;

  constructor(
    private readonly pid: number,
    private readonly metricsUrl: string,
  ) {}

  start(): void {
    // The first scrape only starts prom-client's window over.
    void this.tick(false);
    this.timer = setInterval(() => void this.tick(true), 1000);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  get peak(): ProcessSample {
    return {
      rssBytes: Math.max(...this.samples.map((s) => s.rssBytes)),
      fds: Math.max(...this.samples.map((s) => s.fds)),
      childRssBytes: Math.max(...this.samples.map((s) => s.childRssBytes)),
    };
  }

  /**
   * The worst second's p99 bounds the whole run's p99 from above (no second
   * had more than 1 % of its samples over it, so neither has the run), and
   * the largest max is the run's max.
   */
  get lagSummary(): LagSample {
    return { p99: Math.max(0, ...this.lag.map((l) => l.p99)), max: Math.max(0, ...this.lag.map((l) => l.max)) };
  }

  /** The `n` seconds with the longest lag, worst first. */
  worstSeconds(n: number): TimedLag[] {
    return [...this.lag].sort((a, b) => b.max - a.max).slice(0, n);
  }

  private async tick(record: boolean): Promise<void> {
    this.samples.push(sampleProcess(this.pid));
    if (this.scraping) return;
    this.scraping = true;
    const sent = Date.now();
    try {
      const response = await fetch(this.metricsUrl, { signal: AbortSignal.timeout(SCRAPE_GIVE_UP_MS) });
      const lag = lagFromMetrics(await response.text());
      this.slowestScrapeMs = Math.max(this.slowestScrapeMs, Date.now() - sent);
      if (!lag) this.scrapeFailures++;
      else if (record) this.lag.push({ ...lag, at: Date.now() });
    } catch {
      this.scrapeFailures++;
    } finally {
      this.scraping = false;
    }
  }
}
