/**
 * The soak's verdict: each check with what it measured, and the one line of
 * figures `npm run soak` prints.
 */
import type { LagSample, ProcessSample, TimedLag } from './daemon-figures.js';
import type { DayTransitions } from './expectations.js';
import type { School } from './school.js';
import type { Tally } from './tally.js';

/**
 * Event-loop lag bounds. An XO gives port 191 three seconds and Sugar's
 * register call eight. A loop held for a second at most keeps every laptop
 * inside those with room to spare; a worst second whose p99 stays under half
 * a second means such holds were rare moments, not the day's rhythm. On a
 * 2-core machine running the laptops too, the lag includes the time the
 * daemon waited for a CPU, so these are bounds, not goals.
 */
export const LAG_MAX_MS = 1_000;
export const LAG_P99_MS = 500;
/**
 * Memory "returned to its level": the daemon keeps what the day stored (the
 * registry, 2,000 leases, the activity index, the filter) and V8 keeps some
 * heap it grew for the peak, so the resident size after the settle may exceed
 * the size before by a quarter of it plus 32 MiB, never more. A leak of a few
 * kilobytes per request or connection (a day holds tens of thousands) does.
 */
export const RSS_SLACK_FRACTION = 0.25;
export const RSS_SLACK_BYTES = 32 * 1024 * 1024;
/**
 * Descriptors return to their count but for a few: the store journals a
 * compaction may have started and the feeds' snapshots; a socket, pipe or
 * file left open per backup, laptop or request would add hundreds.
 */
export const FD_SLACK = 8;
/**
 * The laptops run in one process. When its own loop falls behind by more
 * than this (a machine busy with other work), its timeouts (3 s for port
 * 191) may be its own fault: the check says so instead of blaming the server.
 */
export const CLIENT_LAG_MAX_MS = 1_000;

export interface DayFigures {
  readonly laptops: number;
  readonly registered: number;
  readonly expectedBackups: number;
  readonly backupsComplete: number;
  readonly tally: Tally;
  readonly transitions: DayTransitions;
  readonly memory: { readonly before: ProcessSample; readonly peak: ProcessSample; readonly after: ProcessSample };
  readonly lag: LagSample;
  /** Seconds of lag figures scraped. */
  readonly lagSeconds: number;
  /** Scrapes of /metrics that failed: their windows' lag is unknown. */
  readonly lagScrapeFailures: number;
  /** The longest a /metrics scrape took to answer, in ms. */
  readonly slowestScrapeMs: number;
  /** The longest the laptops' own process fell behind, in ms. */
  readonly clientLagMaxMs: number;
  /** The seconds with the longest lag, `at` in seconds since the soak started. */
  readonly worstLag: readonly TimedLag[];
  readonly school: School;
  readonly seconds: number;
}

export interface SoakReport {
  /** `soak: 2000 laptops, 400 registered, …`. */
  readonly line: string;
  /** One line per failed check, naming it; empty when the day held. */
  readonly failures: readonly string[];
  /** Every unexpected answer by kind, with examples. */
  readonly unexpected: readonly string[];
  /** Every counted answer by name. */
  readonly answers: Readonly<Record<string, number>>;
  /** Where the lag was worst, and which plugins' callbacks ran long: for finding the cause. */
  readonly notes: readonly string[];
  readonly figures: {
    readonly unexpected: number;
    readonly registered: number;
    readonly backupsComplete: number;
    readonly lag: LagSample;
    readonly memory: DayFigures['memory'];
    readonly seconds: number;
  };
}

const MiB = (bytes: number) => Math.round(bytes / 1024 / 1024);

/** Ask the daemon how it ended the day, run the checks, and make the line. */
export async function judge(day: DayFigures): Promise<SoakReport> {
  const failures: string[] = [];
  const fail = (check: string, detail: string) => failures.push(`${check}: ${detail}`);
  const { memory, lag } = day;

  if (day.clientLagMaxMs > CLIENT_LAG_MAX_MS) fail('load generator kept up', `the laptops' own process fell ${day.clientLagMaxMs.toFixed(0)} ms behind (over ${CLIENT_LAG_MAX_MS} ms): the machine is too busy for the figures to be the server's alone`);
  if (day.tally.unexpectedCount > 0) fail('unexpected answers', `${day.tally.unexpectedCount} answers the protocol does not call for (listed below)`);
  if (day.registered !== day.expectedBackups) fail('registration', `${day.registered} of ${day.expectedBackups} laptops registered`);
  if (day.backupsComplete !== day.expectedBackups) fail('backups complete', `${day.backupsComplete} of ${day.expectedBackups} registered laptops have a complete snapshot`);
  if (day.transitions.midday.doneAt === undefined) fail('Mothership followed', 'the school never showed the whole midday update');
  if (day.lagSeconds === 0) fail('event-loop lag', 'no lag figures could be read from /metrics');
  if (day.lagScrapeFailures > 0) fail('event-loop lag', `${day.lagScrapeFailures} scrapes of /metrics failed, so the figures miss those windows`);
  if (lag.max > LAG_MAX_MS) fail('event-loop lag', `max ${lag.max.toFixed(0)} ms is over ${LAG_MAX_MS} ms`);
  if (lag.p99 > LAG_P99_MS) fail('event-loop lag', `the worst second's p99 ${lag.p99.toFixed(0)} ms is over ${LAG_P99_MS} ms`);
  const rssLimit = memory.before.rssBytes * (1 + RSS_SLACK_FRACTION) + RSS_SLACK_BYTES;
  if (memory.after.rssBytes > rssLimit) fail('memory returned', `RSS ${MiB(memory.after.rssBytes)} MiB after the settle, over ${MiB(rssLimit)} MiB (before ${MiB(memory.before.rssBytes)} MiB)`);
  if (memory.after.fds > memory.before.fds + FD_SLACK) fail('descriptors returned', `${memory.after.fds} open after the settle, ${memory.before.fds} before (slack ${FD_SLACK})`);

  // The daemon's own view: every service still running, no 5xx but "busy" and "starting", no error logged.
  const status = await day.school.daemon.status();
  const down = status.plugins.filter((p) => p.enabled && p.state !== 'running');
  if (down.length) fail('services running', down.map((p) => `${p.service} is ${p.state}${p.error ? ` (${p.error.code})` : ''}`).join(', '));
  const metrics = await (await day.school.daemon.fetch('/metrics')).text();
  const serverErrors = serverErrorCounts(metrics);
  if (serverErrors.length) fail('no server errors', `/metrics counts ${serverErrors.join(', ')}`);
  const errorLogs = day.school.daemon.logs.filter((line) => line.level >= 50);
  if (errorLogs.length) fail('no errors logged', `${errorLogs.length} error lines, first: ${errorLogs.slice(0, 3).map((l) => JSON.stringify(l)).join(' | ')}`);

  const line =
    `soak: ${day.laptops} laptops, ${day.registered} registered, ${day.backupsComplete} backups complete, ` +
    `${day.tally.unexpectedCount} unexpected errors, lag p99 ${lag.p99.toFixed(0)} ms max ${lag.max.toFixed(0)} ms, ` +
    `rss ${MiB(memory.before.rssBytes)}→${MiB(memory.peak.rssBytes)}→${MiB(memory.after.rssBytes)} MiB, ` +
    `fds ${memory.before.fds}→${memory.peak.fds}→${memory.after.fds}, ${Math.round(day.seconds)} s`;
  return {
    line,
    failures,
    unexpected: day.tally.describeUnexpected(),
    answers: day.tally.figures(),
    notes: [
      `worst lag: ${day.worstLag.map((l) => `max ${l.max.toFixed(0)} ms (p99 ${l.p99.toFixed(0)} ms) at +${l.at.toFixed(1)} s`).join(', ')}`,
      `slow callbacks: ${slowCallbacks(metrics).join(', ') || 'none'}`,
      `the slowest /metrics scrape answered after ${day.slowestScrapeMs} ms`,
      `the laptops' process fell behind by ${day.clientLagMaxMs.toFixed(0)} ms at most`,
      `the daemon's child processes (backup's SSH process): rss ${MiB(memory.before.childRssBytes)}→${MiB(memory.peak.childRssBytes)}→${MiB(memory.after.childRssBytes)} MiB`,
    ],
    figures: { unexpected: day.tally.unexpectedCount, registered: day.registered, backupsComplete: day.backupsComplete, lag, memory, seconds: day.seconds },
  };
}

/** `plugin method code ×n` for every 5xx the daemon answered, except 503 (busy, or a plugin starting). */
export function serverErrorCounts(metrics: string): string[] {
  const found: string[] = [];
  const pattern = /^sugar_server_http_request_duration_seconds_count\{([^}]*)\} (\d+)$/gm;
  for (const [, labels, count] of metrics.matchAll(pattern)) {
    const code = /code="(\d+)"/.exec(labels!)?.[1];
    if (!code || !code.startsWith('5') || code === '503' || count === '0') continue;
    found.push(`${labels} ×${count}`);
  }
  return found;
}

/** `plugin/phase ×n` from `sugar_server_plugin_slow_callbacks_total`: handlers that held the loop 100 ms or more. */
export function slowCallbacks(metrics: string): string[] {
  const found: string[] = [];
  for (const [, plugin, phase, count] of metrics.matchAll(/^sugar_server_plugin_slow_callbacks_total\{plugin="([^"]*)",phase="([^"]*)"\} (\d+)$/gm)) {
    if (count !== '0') found.push(`${plugin}/${phase} ×${count}`);
  }
  return found;
}
