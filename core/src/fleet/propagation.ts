/**
 * How each feed this server publishes has spread through its schools: who
 * holds the latest version, the lag from publishing to applying, who is
 * behind and since when, who went silent. Pure: computed from the schools'
 * latest check-ins and the versions published, so it is tested without a daemon.
 */
import type { DownstreamSummary } from './report.js';

/** One feed as a school holds it, from its latest check-in. */
export interface HeldFeed {
  readonly version: number | null;
  /** When the school applied the version it holds (or, when it did not say, when it was first seen holding it), epoch ms. */
  readonly since: number;
  readonly failing: boolean;
}

/** What propagation needs of a school. */
export interface SchoolView {
  readonly serverId: string;
  readonly name: string;
  readonly group: string | null;
  /** Epoch ms of its latest check-in; null when it enrolled and never checked in. */
  readonly lastCheckin: number | null;
  readonly feeds: ReadonlyMap<string, HeldFeed>;
  /** A plugin failed or a feed's last update was refused. */
  readonly failing: boolean;
  /** Set for a relay: its own schools. */
  readonly downstream: DownstreamSummary | null;
}

export interface PublishedVersion {
  readonly version: number;
  /** Epoch ms the publisher made it. */
  readonly generated: number;
}

export type SchoolState = 'current' | 'behind' | 'failing' | 'silent' | 'never';
export const SCHOOL_STATES: readonly SchoolState[] = ['current', 'behind', 'failing', 'silent', 'never'];

export interface FeedPropagation {
  readonly name: string;
  readonly latest: { readonly version: number; readonly published: string };
  /** Schools that reported this feed at all. */
  readonly schools: number;
  /** Of them, those holding the latest version (or a later one). */
  readonly current: number;
  /** Publish to applied, in seconds, over the schools holding the latest version. */
  readonly lagSeconds: { readonly p50: number | null; readonly p90: number | null; readonly max: number | null };
  readonly behind: readonly {
    readonly serverId: string;
    readonly name: string;
    readonly version: number | null;
    /** Since when it holds that version. */
    readonly holdingSince: string;
    /** When the first version it lacks was published (null when not known here). */
    readonly behindSince: string | null;
  }[];
  /** Schools behind relays (their summaries), and how many of them are current. */
  readonly relayed: { readonly schools: number; readonly current: number };
}

export interface Propagation {
  readonly generated: string;
  readonly silentAfterSeconds: number;
  readonly schools: { readonly total: number } & Readonly<Record<SchoolState, number>>;
  readonly feeds: readonly FeedPropagation[];
  readonly silent: readonly { readonly serverId: string; readonly name: string; readonly lastCheckin: string | null }[];
  /** The relays' schools, summed. */
  readonly downstream: { readonly schools: number; readonly silent: number; readonly failing: number };
}

/** The state a school is in now, by precedence: silent, failing, behind, current. */
export function schoolState(school: SchoolView, latest: ReadonlyMap<string, PublishedVersion>, now: number, silentAfterMs: number): SchoolState {
  if (school.lastCheckin === null) return 'never';
  if (now - school.lastCheckin > silentAfterMs) return 'silent';
  if (school.failing) return 'failing';
  for (const [name, held] of school.feeds) {
    const published = latest.get(name);
    if (published && !holds(held, published)) return 'behind';
  }
  return 'current';
}

function holds(held: HeldFeed, published: PublishedVersion): boolean {
  return held.version !== null && held.version >= published.version;
}

/** Nearest-rank percentile of sorted values. */
export function percentileOf(sorted: readonly number[], p: number): number | null {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function computePropagation(input: {
  readonly schools: Iterable<SchoolView>;
  /** Per feed published here, its versions (oldest first; the last is the latest). */
  readonly published: ReadonlyMap<string, readonly PublishedVersion[]>;
  readonly now: number;
  readonly silentAfterMs: number;
}): Propagation {
  const { published, now, silentAfterMs } = input;
  const latest = new Map<string, PublishedVersion>();
  for (const [name, versions] of published) if (versions.length) latest.set(name, versions[versions.length - 1]!);
  const iso = (ms: number) => new Date(ms).toISOString();

  const perFeed = new Map<string, { schools: number; current: number; lags: number[]; behind: FeedPropagation['behind'][number][]; relayed: { schools: number; current: number } }>();
  for (const name of latest.keys()) perFeed.set(name, { schools: 0, current: 0, lags: [], behind: [], relayed: { schools: 0, current: 0 } });
  const counts: Record<SchoolState, number> = { current: 0, behind: 0, failing: 0, silent: 0, never: 0 };
  const silent: { serverId: string; name: string; lastCheckin: string | null }[] = [];
  const downstream = { schools: 0, silent: 0, failing: 0 };
  let total = 0;

  for (const school of input.schools) {
    total++;
    const state = schoolState(school, latest, now, silentAfterMs);
    counts[state]++;
    if (state === 'silent' || state === 'never') silent.push({ serverId: school.serverId, name: school.name, lastCheckin: school.lastCheckin === null ? null : iso(school.lastCheckin) });
    for (const [name, held] of school.feeds) {
      const feed = perFeed.get(name);
      const newest = latest.get(name);
      if (!feed || !newest) continue;
      feed.schools++;
      if (holds(held, newest)) {
        feed.current++;
        if (held.version === newest.version) feed.lags.push(Math.max(0, held.since - newest.generated) / 1000);
      } else {
        const lacking = published.get(name)!.find((v) => held.version === null || v.version > held.version);
        feed.behind.push({
          serverId: school.serverId,
          name: school.name,
          version: held.version,
          holdingSince: iso(held.since),
          behindSince: lacking ? iso(lacking.generated) : null,
        });
      }
    }
    if (school.downstream) {
      downstream.schools += school.downstream.schools;
      downstream.silent += school.downstream.silent;
      downstream.failing += school.downstream.failing;
      for (const relayed of school.downstream.feeds) {
        const feed = perFeed.get(relayed.name);
        const newest = latest.get(relayed.name);
        if (!feed || !newest) continue;
        for (const { version, schools } of relayed.versions) {
          feed.relayed.schools += schools;
          if (version !== null && version >= newest.version) feed.relayed.current += schools;
        }
      }
    }
  }

  const feeds: FeedPropagation[] = [...perFeed].map(([name, feed]) => {
    const lags = feed.lags.sort((a, b) => a - b);
    const newest = latest.get(name)!;
    return {
      name,
      latest: { version: newest.version, published: iso(newest.generated) },
      schools: feed.schools,
      current: feed.current,
      lagSeconds: { p50: percentileOf(lags, 50), p90: percentileOf(lags, 90), max: lags.length ? lags[lags.length - 1]! : null },
      behind: feed.behind.sort((a, b) => (a.version ?? -1) - (b.version ?? -1) || a.name.localeCompare(b.name)),
      relayed: feed.relayed,
    };
  });
  return {
    generated: iso(now),
    silentAfterSeconds: silentAfterMs / 1000,
    schools: { total, ...counts },
    feeds: feeds.sort((a, b) => a.name.localeCompare(b.name)),
    silent: silent.sort((a, b) => (a.lastCheckin ?? '').localeCompare(b.lastCheckin ?? '') || a.name.localeCompare(b.name)),
    downstream,
  };
}

/** A relay's summary of its own schools, for its report upstream. */
export function summarise(schools: Iterable<SchoolView>, latest: ReadonlyMap<string, PublishedVersion>, now: number, silentAfterMs: number): DownstreamSummary {
  let count = 0;
  let silent = 0;
  let failing = 0;
  const versions = new Map<string, Map<number | null, number>>();
  for (const school of schools) {
    count++;
    const state = schoolState(school, latest, now, silentAfterMs);
    if (state === 'silent' || state === 'never') silent++;
    if (state === 'failing') failing++;
    for (const [name, held] of school.feeds) {
      const byVersion = versions.get(name) ?? new Map<number | null, number>();
      versions.set(name, byVersion);
      byVersion.set(held.version, (byVersion.get(held.version) ?? 0) + 1);
    }
  }
  const feeds = [...versions].slice(0, 64).map(([name, byVersion]) => ({
    name,
    // The newest versions first; a long tail of old ones is cut to fit the report.
    versions: [...byVersion].sort((a, b) => (b[0] ?? -1) - (a[0] ?? -1)).slice(0, 64).map(([version, n]) => ({ version, schools: n })),
  }));
  return { schools: count, silent, failing, feeds };
}
