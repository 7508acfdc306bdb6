/**
 * Many simulated school servers checking in with one upstream: enrol N schools
 * (tokens from the upstream's admin API, or a file of invites), then send
 * check-ins with varied, realistic reports, either as fast as `concurrency`
 * allows or paced at a fixed rate, and report latencies and errors.
 */
import { randomUUID } from 'node:crypto';
import { checkIn, enrolSchool, inviteSchool, type PublishedFeed, type SchoolCredential } from './clients/fleet.js';
import { percentile, swarm, type SwarmReport } from './swarm.js';
import { isSugaroidError } from './errors.js';

const PLUGINS = ['registry', 'leases', 'activities', 'backup', 'blacklists'] as const;

/** A deterministic pseudo-random stream per school, so runs are comparable. */
function randomFor(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
}

export interface SimulatedSchool {
  readonly index: number;
  readonly credential: SchoolCredential;
  readonly group: string;
}

/**
 * A report as a school server sends it: most schools hold the latest of each
 * feed, some one or two versions behind, a few with a refused update or a
 * failed plugin; school sizes from a village school to a city one.
 */
export function simulatedReport(school: SimulatedSchool, feeds: readonly PublishedFeed[], round: number, now = Date.now()): Record<string, unknown> {
  const random = randomFor(school.index * 7919 + round * 104729 + 1);
  const laptops = Math.round(20 + random() ** 2 * 1500);
  const failing = random() < 0.03;
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    schema: 1,
    serverId: school.credential.serverId,
    name: school.credential.name,
    group: school.group,
    version: random() < 0.9 ? '0.1.0' : '0.0.9',
    sentAt: iso(now),
    startedAt: iso(now - Math.round(random() * 30 * 86_400_000)),
    plugins: PLUGINS.map((service) => ({
      service,
      package: `sugar-server-${service}`,
      version: '0.1.0',
      state: failing && service === 'backup' ? 'failed' : 'running',
      errorCode: failing && service === 'backup' ? 'SERVER_ERR_PLUGIN_START' : null,
    })),
    feeds: feeds.map((feed) => {
      const draw = random();
      const behind = draw < 0.85 ? 0 : draw < 0.95 ? 1 : 2;
      const version = Math.max(1, feed.version - behind);
      const generated = Date.parse(feed.generated) - behind * 3_600_000;
      const refused = random() < 0.02;
      return {
        name: feed.name,
        owner: feed.name === 'config' ? 'core' : feed.name,
        version,
        generated: iso(generated),
        appliedAt: iso(Math.min(now, generated + Math.round(random() ** 3 * 3_600_000))),
        lastSuccess: iso(now - Math.round(random() * 900_000)),
        lastError: refused ? 'feed file could not be fetched: ECONNRESET' : null,
        lastErrorCode: refused ? 'SERVER_ERR_FEED_DOWNLOAD' : null,
        expired: false,
        trust: 'signed',
      };
    }),
    counts: {
      laptops,
      leasesExpiringSoon: Math.round(random() * laptops * 0.05),
      leasesExpired: Math.round(random() ** 4 * laptops * 0.1),
      stolen: Math.round(random() ** 6 * 10),
      backupsOverdue: Math.round(random() ** 2 * laptops * 0.3),
      backupBytesUsed: Math.round(laptops * (50 + random() * 400) * 1024 * 1024),
      backupBytesQuota: laptops * 512 * 1024 * 1024,
      blacklistIndex: iso(now - Math.round(random() * 7 * 86_400_000)),
    },
    downstream: null,
  };
}

export interface EnrolOptions {
  readonly server: string;
  readonly count: number;
  /** The upstream's admin token, to make one invite per school; or `invites`. */
  readonly adminToken?: string;
  readonly invites?: readonly string[];
  readonly concurrency: number;
  readonly timeoutMs: number;
  /** Names start with this (`sim-school-0001`, …). */
  readonly prefix?: string;
}

/** Invite (when given the admin token) and enrol `count` schools, each with a fresh server id. */
export async function enrolSchools(options: EnrolOptions): Promise<SwarmReport<SimulatedSchool>> {
  const prefix = options.prefix ?? 'sim-school';
  const width = String(options.count).length;
  return swarm(
    options.count,
    async (index) => {
      const group = `district-${(index % 20) + 1}`;
      const token = options.invites
        ? options.invites[index]!
        : await inviteSchool(options.server, options.adminToken!, `${prefix}-${String(index + 1).padStart(width, '0')}`, group, { timeoutMs: options.timeoutMs });
      const credential = await enrolSchool(options.server, token, randomUUID(), { timeoutMs: options.timeoutMs });
      return { index, credential, group };
    },
    { concurrency: options.concurrency },
  );
}

/** A swarm's figures (without the results) and the rate the check-ins were answered at. */
export interface CheckinRun extends Omit<SwarmReport<unknown>, 'results'> {
  /** Check-ins answered per second over the run. */
  readonly perSecond: number;
}

/**
 * `total` check-ins, round-robin over `schools`. With `rate`, one starts every
 * 1/rate s whatever the answers (open loop, at most `concurrency` in flight);
 * without, `concurrency` run back to back.
 */
export async function checkInMany(options: {
  readonly server: string;
  readonly schools: readonly SimulatedSchool[];
  readonly feeds: readonly PublishedFeed[];
  readonly total: number;
  readonly concurrency: number;
  readonly rate?: number;
  readonly timeoutMs: number;
  readonly firstRound?: number;
}): Promise<CheckinRun> {
  const { schools, total } = options;
  const latencies: number[] = [];
  const errorsByCode: Record<string, number> = {};
  const firstErrors: Record<string, string> = {};
  const one = async (i: number) => {
    const school = schools[i % schools.length]!;
    const report = simulatedReport(school, options.feeds, (options.firstRound ?? 0) + Math.floor(i / schools.length));
    const t0 = performance.now();
    try {
      await checkIn(options.server, school.credential, report, { timeoutMs: options.timeoutMs });
      latencies.push(performance.now() - t0);
    } catch (err) {
      const code = isSugaroidError(err) ? err.code : err instanceof Error ? err.name : 'Error';
      errorsByCode[code] = (errorsByCode[code] ?? 0) + 1;
      firstErrors[code] ??= err instanceof Error ? err.message : String(err);
    }
  };
  const started = performance.now();
  if (options.rate) {
    const gap = 1000 / options.rate;
    const inFlight = new Set<Promise<void>>();
    for (let i = 0; i < total; i++) {
      const due = started + i * gap;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      while (inFlight.size >= options.concurrency) await Promise.race(inFlight);
      const running: Promise<void> = one(i).finally(() => inFlight.delete(running));
      inFlight.add(running);
    }
    await Promise.all(inFlight);
  } else {
    let next = 0;
    await Promise.all(Array.from({ length: Math.min(options.concurrency, total) }, async () => {
      while (next < total) await one(next++);
    }));
  }
  const elapsedMs = performance.now() - started;
  const errors = Object.values(errorsByCode).reduce((a, b) => a + b, 0);
  latencies.sort((a, b) => a - b);
  return {
    count: total,
    ok: total - errors,
    errors,
    errorsByCode,
    firstErrors,
    elapsedMs,
    perSecond: (total - errors) / (elapsedMs / 1000),
    latencyMs: { p50: percentile(latencies, 50), p90: percentile(latencies, 90), p99: percentile(latencies, 99), max: latencies[latencies.length - 1] ?? 0 },
  };
}

/** One line for people, as describeSwarm prints. */
export function describeCheckins(run: CheckinRun): string {
  const l = run.latencyMs;
  const errors = Object.entries(run.errorsByCode).map(([code, n]) => `${code} ×${n}: ${run.firstErrors[code]}`);
  return (
    `${run.ok} check-ins ok, ${run.errors} errors in ${Math.round(run.elapsedMs)} ms (${run.perSecond.toFixed(0)}/s); ` +
    `p50 ${l.p50.toFixed(1)} ms, p90 ${l.p90.toFixed(1)} ms, p99 ${l.p99.toFixed(1)} ms, max ${l.max.toFixed(1)} ms` +
    (errors.length ? `\n  ${errors.join('\n  ')}` : '')
  );
}
