import { describe, expect, it } from 'vitest';
import { computePropagation, percentileOf, schoolState, summarise, type HeldFeed, type SchoolView } from './propagation.js';

const T = Date.parse('2026-12-04T10:00:00Z');
const MIN = 60_000;

function school(name: string, feeds: Record<string, [version: number | null, since: number]>, extra: Partial<SchoolView> = {}): SchoolView {
  return {
    serverId: `id-${name}`,
    name,
    group: null,
    lastCheckin: T,
    feeds: new Map(Object.entries(feeds).map(([feed, [version, since]]) => [feed, { version, since, failing: false } satisfies HeldFeed])),
    failing: false,
    downstream: null,
    ...extra,
  };
}

describe('propagation', () => {
  const published = new Map([['leases', [{ version: 5, generated: T - 60 * MIN }, { version: 6, generated: T - 30 * MIN }]]]);

  it('counts who holds the latest, the lag to apply it, and who is behind since when', () => {
    const schools = [
      school('a', { leases: [6, T - 29 * MIN] }),
      school('b', { leases: [6, T - 20 * MIN] }),
      school('c', { leases: [6, T - 10 * MIN] }),
      school('d', { leases: [5, T - 59 * MIN] }),
      school('e', { leases: [null, T - 5 * MIN] }),
    ];
    const p = computePropagation({ schools, published, now: T, silentAfterMs: 120 * MIN });
    expect(p.feeds).toHaveLength(1);
    const leases = p.feeds[0]!;
    expect(leases).toMatchObject({ name: 'leases', latest: { version: 6, published: new Date(T - 30 * MIN).toISOString() }, schools: 5, current: 3 });
    // 1, 10 and 20 minutes after publishing.
    expect(leases.lagSeconds).toEqual({ p50: 600, p90: 1200, max: 1200 });
    expect(leases.behind).toEqual([
      { serverId: 'id-e', name: 'e', version: null, holdingSince: new Date(T - 5 * MIN).toISOString(), behindSince: new Date(T - 60 * MIN).toISOString() },
      { serverId: 'id-d', name: 'd', version: 5, holdingSince: new Date(T - 59 * MIN).toISOString(), behindSince: new Date(T - 30 * MIN).toISOString() },
    ]);
    expect(p.schools).toEqual({ total: 5, current: 3, behind: 2, failing: 0, silent: 0, never: 0 });
  });

  it('lists schools past silent_after, and those that never checked in, as silent', () => {
    const schools = [
      school('quiet', { leases: [6, T - 20 * MIN] }, { lastCheckin: T - 121 * MIN }),
      school('new', {}, { lastCheckin: null }),
      school('ok', { leases: [6, T - 20 * MIN] }, { lastCheckin: T - 119 * MIN }),
    ];
    const p = computePropagation({ schools, published, now: T, silentAfterMs: 120 * MIN });
    expect(p.silent.map((s) => s.name)).toEqual(['new', 'quiet']);
    expect(p.schools).toMatchObject({ silent: 1, never: 1, current: 1 });
  });

  it('puts failing before behind, silent before both', () => {
    const latest = new Map([['leases', { version: 6, generated: T }]]);
    expect(schoolState(school('x', { leases: [5, T] }, { failing: true }), latest, T, MIN)).toBe('failing');
    expect(schoolState(school('x', { leases: [5, T] }, { failing: true, lastCheckin: T - 2 * MIN }), latest, T, MIN)).toBe('silent');
    expect(schoolState(school('x', { leases: [5, T] }), latest, T, MIN)).toBe('behind');
    expect(schoolState(school('x', { leases: [7, T], other: [1, T] }), latest, T, MIN)).toBe('current');
  });

  it('counts a relay\'s schools from its summary, against the versions published here', () => {
    const relaySchools = [school('r1', { leases: [6, T] }), school('r2', { leases: [5, T] }), school('r3', { leases: [6, T] }, { lastCheckin: T - 3 * 3600_000 })];
    const summary = summarise(relaySchools, new Map([['leases', { version: 6, generated: T - 30 * MIN }]]), T, 120 * MIN);
    expect(summary).toEqual({ schools: 3, silent: 1, failing: 0, feeds: [{ name: 'leases', versions: [{ version: 6, schools: 2 }, { version: 5, schools: 1 }] }] });
    const p = computePropagation({ schools: [school('relay', { leases: [6, T - 25 * MIN] }, { downstream: summary })], published, now: T, silentAfterMs: 120 * MIN });
    expect(p.feeds[0]!.relayed).toEqual({ schools: 3, current: 2 });
    expect(p.downstream).toEqual({ schools: 3, silent: 1, failing: 0 });
  });

  it('takes nearest-rank percentiles', () => {
    expect(percentileOf([], 50)).toBeNull();
    expect(percentileOf([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).toBe(5);
    expect(percentileOf([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9);
    expect(percentileOf([4], 99)).toBe(4);
  });
});
