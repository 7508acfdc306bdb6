/**
 * The upstream's view of its schools: propagation of each feed it publishes,
 * the list of schools by state, a relay's summary for its own upstream. The
 * versions published are remembered as they appear (the publisher keeps only
 * the latest), so a school behind can be told since when.
 */
import { join } from 'node:path';
import type { FeedPublisher } from '../feeds/index.js';
import { computePropagation, schoolState, summarise, type Propagation, type PublishedVersion, type SchoolState, type SchoolView } from './propagation.js';
import { FleetRegistry, type LatestCheckin } from './registry.js';
import type { DownstreamSummary } from './report.js';

/** Versions remembered per feed, to say since when a school is behind. */
const VERSIONS_KEPT = 100;

export interface SchoolRow {
  readonly serverId: string;
  readonly name: string;
  readonly group: string | null;
  readonly state: SchoolState;
  readonly lastCheckin: string | null;
  readonly version: string | null;
  readonly feeds: readonly { readonly name: string; readonly version: number | null; readonly current: boolean | null; readonly lastErrorCode: string | null }[];
  readonly counts: LatestCheckin['report']['counts'] | null;
  readonly downstream: DownstreamSummary | null;
}

export class Mothership {
  private readonly versions = new Map<string, PublishedVersion[]>();
  private cached: { key: string; value: Propagation } | undefined;

  private constructor(
    readonly registry: FleetRegistry,
    private readonly publisher: FeedPublisher,
    private readonly now: () => number,
  ) {}

  static async open(dataDir: string, publisher: FeedPublisher, now: () => number = Date.now): Promise<Mothership> {
    return new Mothership(await FleetRegistry.open(join(dataDir, 'core', 'fleet.json')), publisher, now);
  }

  close(): Promise<void> {
    return this.registry.close();
  }

  /** The latest version of each feed published here, and the ones seen before it. */
  async published(): Promise<ReadonlyMap<string, readonly PublishedVersion[]>> {
    const current = await this.publisher.versions();
    const names = new Set(current.map((v) => v.name));
    for (const name of this.versions.keys()) if (!names.has(name)) this.versions.delete(name);
    for (const { name, version, generated } of current) {
      const seen = this.versions.get(name) ?? [];
      if (seen[seen.length - 1]?.version !== version) {
        seen.push({ version, generated: Date.parse(generated) });
        if (seen.length > VERSIONS_KEPT) seen.shift();
        this.versions.set(name, seen);
      }
    }
    return this.versions;
  }

  /** Computed once per change of a school, of a published version, or of the second (silence is a matter of time). */
  async propagation(silentAfterMs: number): Promise<Propagation> {
    const published = await this.published();
    const now = this.now();
    const key = `${this.registry.generation}|${Math.floor(now / 1000)}|${silentAfterMs}|${[...published].map(([n, v]) => `${n}:${v[v.length - 1]?.version}`).join(',')}`;
    if (this.cached?.key !== key) this.cached = { key, value: computePropagation({ schools: this.registry.schools(), published, now, silentAfterMs }) };
    return this.cached.value;
  }

  async schools(silentAfterMs: number, only?: SchoolState): Promise<SchoolRow[]> {
    const published = await this.published();
    const latest = latestOf(published);
    const now = this.now();
    const rows: SchoolRow[] = [];
    for (const school of this.registry.schools()) {
      const state = schoolState(school, latest, now, silentAfterMs);
      if (only && state !== only && !(only === 'silent' && state === 'never')) continue;
      rows.push(this.row(school, state, latest));
    }
    return rows.sort((a, b) => a.name.localeCompare(b.name) || a.serverId.localeCompare(b.serverId));
  }

  /** A relay's summary of its schools for its own report; null while it has none. */
  async downstream(silentAfterMs: number): Promise<DownstreamSummary | null> {
    if (this.registry.schoolCount === 0) return null;
    return summarise(this.registry.schools(), latestOf(await this.published()), this.now(), silentAfterMs);
  }

  private row(school: SchoolView, state: SchoolState, latest: ReadonlyMap<string, PublishedVersion>): SchoolRow {
    const checkin = this.registry.latest(school.serverId);
    return {
      serverId: school.serverId,
      name: school.name,
      group: school.group,
      state,
      lastCheckin: checkin?.receivedAt ?? null,
      version: checkin?.report.version ?? null,
      feeds: (checkin?.report.feeds ?? []).map((f) => {
        const newest = latest.get(f.name);
        return { name: f.name, version: f.version, current: newest ? f.version !== null && f.version >= newest.version : null, lastErrorCode: f.lastErrorCode };
      }),
      counts: checkin?.report.counts ?? null,
      downstream: school.downstream,
    };
  }
}

function latestOf(published: ReadonlyMap<string, readonly PublishedVersion[]>): Map<string, PublishedVersion> {
  const latest = new Map<string, PublishedVersion>();
  for (const [name, versions] of published) if (versions.length) latest.set(name, versions[versions.length - 1]!);
  return latest;
}
