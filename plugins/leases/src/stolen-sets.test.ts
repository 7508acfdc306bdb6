import { describe, expect, it } from 'vitest';
import {
  countStolen,
  emptyStolenSets,
  isStolenIn,
  listStolen,
  readStolenSets,
  replaceUpstream,
  sourcesOf,
  stolenSerials,
  type StolenSets,
} from './stolen-sets.js';

const T1 = '2025-01-01T00:00:00.000Z';
const T2 = '2025-02-01T00:00:00.000Z';
const NOW = new Date('2025-03-01T00:00:00.000Z');

/** Ana marked here, Ben from upstream, Caro by both. */
function sets(): StolenSets {
  return {
    local: { SHC0000000A: { since: T1 }, SHC0000000C: { since: T2 } },
    upstream: { SHC0000000B: { since: T2 }, SHC0000000C: { since: T1 } },
  };
}

describe('the two stolen lists', () => {
  it('make a serial stolen when either marks it', () => {
    const both = sets();
    expect(['SHC0000000A', 'SHC0000000B', 'SHC0000000C', 'SHC0000000D'].map((s) => isStolenIn(both, s))).toEqual([true, true, true, false]);
    expect(sourcesOf(both, 'SHC0000000C')).toEqual(['local', 'upstream']);
    expect(sourcesOf(both, 'SHC0000000B')).toEqual(['upstream']);
    expect(sourcesOf(both, 'SHC0000000D')).toEqual([]);
  });

  it('do not take inherited names for serials', () => {
    expect(isStolenIn(emptyStolenSets(), 'constructor')).toBe(false);
    expect(sourcesOf(emptyStolenSets(), 'toString')).toEqual([]);
  });

  it('list each serial once, by serial, with its sources and its earliest mark', () => {
    expect(listStolen(sets())).toEqual([
      { serial: 'SHC0000000A', sources: ['local'], since: T1 },
      { serial: 'SHC0000000B', sources: ['upstream'], since: T2 },
      { serial: 'SHC0000000C', sources: ['local', 'upstream'], since: T1 },
    ]);
    expect(stolenSerials(sets())).toEqual(['SHC0000000A', 'SHC0000000B', 'SHC0000000C']);
  });

  it('count serials by source, one in both counting in both', () => {
    expect(countStolen(sets())).toEqual({ total: 3, local: 2, upstream: 2 });
    expect(countStolen(emptyStolenSets())).toEqual({ total: 0, local: 0, upstream: 0 });
  });
});

describe('replacing the upstream list', () => {
  it('takes the new list as a whole: new serials marked now, kept ones keep their time, the rest dropped', () => {
    const change = replaceUpstream(sets().upstream, new Set(['SHC0000000D', 'SHC0000000C']), NOW);
    expect(change.marks).toEqual({ SHC0000000C: { since: T1 }, SHC0000000D: { since: NOW.toISOString() } });
    expect(change.added).toEqual(['SHC0000000D']);
    expect(change.removed).toEqual(['SHC0000000B']);
  });

  it('changes nothing when the list is the same', () => {
    const change = replaceUpstream(sets().upstream, new Set(['SHC0000000C', 'SHC0000000B']), NOW);
    expect([change.added, change.removed]).toEqual([[], []]);
    expect(change.marks).toEqual(sets().upstream);
  });

  it('leaves the local list alone: a recovered laptop the school marked itself stays stolen', () => {
    const both = sets();
    both.upstream = replaceUpstream(both.upstream, new Set(), NOW).marks;
    expect(isStolenIn(both, 'SHC0000000B')).toBe(false);
    expect(sourcesOf(both, 'SHC0000000C')).toEqual(['local']);
    expect(isStolenIn(both, 'SHC0000000A')).toBe(true);
  });
});

describe('reading a stored stolen list', () => {
  it('keeps the current shape as it is', () => {
    expect(readStolenSets(sets())).toEqual({ sets: sets(), migrated: false });
    expect(readStolenSets(emptyStolenSets())).toEqual({ sets: emptyStolenSets(), migrated: false });
  });

  it('reads the old single list as the one marked here', () => {
    const old = { SHC0000000A: { since: T1 }, SHC0000000B: { since: T2 } };
    expect(readStolenSets(old)).toEqual({
      sets: { local: { SHC0000000A: { since: T1 }, SHC0000000B: { since: T2 } }, upstream: {} },
      migrated: true,
    });
    expect(readStolenSets({})).toEqual({ sets: emptyStolenSets(), migrated: true });
  });

  it('tells an old list with serials named like the new keys from the new shape', () => {
    const old = { local: { since: T1 }, upstream: { since: T2 } };
    expect(readStolenSets(old)).toEqual({
      sets: { local: { local: { since: T1 }, upstream: { since: T2 } }, upstream: {} },
      migrated: true,
    });
  });

  it('starts empty when there is no list at all', () => {
    expect(readStolenSets(undefined)).toEqual({ sets: emptyStolenSets(), migrated: true });
    expect(readStolenSets(null)).toEqual({ sets: emptyStolenSets(), migrated: true });
  });
});
