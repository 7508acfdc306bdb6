import { types } from 'node:util';
import { describe, expect, it } from 'vitest';
import { applyOps, recordChanges, type Op } from './change-log.js';

/** Record `change` on a copy of `start`, replay the ops on another copy: both must agree. */
function roundTrip<T extends object>(start: T, change: (d: T) => void) {
  const live = structuredClone(start);
  const { payload, error } = recordChanges(live, change);
  const replayed = structuredClone(start);
  if (payload) applyOps(replayed, JSON.parse(payload) as Op[]);
  return { live, replayed, payload, error };
}

describe('recordChanges', () => {
  it('records a nested set as one op with its path, and replays to the same document', () => {
    const { live, replayed, payload } = roundTrip({ laptops: { A: { nick: 'x', seen: 1 } } as Record<string, { nick: string; seen: number }> }, (d) => {
      d.laptops.A!.nick = 'y';
      d.laptops.B = { nick: 'new', seen: 2 };
    });
    expect(replayed).toEqual(live);
    expect(JSON.parse(payload)).toEqual([[0, ['laptops', 'A', 'nick'], 'y'], [0, ['laptops', 'B'], { nick: 'new', seen: 2 }]]);
  });

  it('stores what the change only touched, not the rest of the document', () => {
    const laptops = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`SHC${String(i).padStart(8, '0')}`, { nick: `n${i}` }]));
    const { payload } = roundTrip({ laptops }, (d) => void (d.laptops.SHC00000042!.nick = 'renamed'));
    expect(payload.length).toBeLessThan(100);
  });

  it('replays deletes, array pushes, splices and length changes', () => {
    const { live, replayed } = roundTrip({ list: [1, 2, 3, 4], map: { a: 1, b: 2 } as Record<string, number> }, (d) => {
      d.list.push(5, 6);
      d.list.splice(1, 2);
      d.list.length = 3;
      delete d.map.a;
    });
    expect(live).toEqual({ list: [1, 4, 5], map: { b: 2 } });
    expect(replayed).toEqual(live);
  });

  it('takes a value as it is when the change returns, even if built up after it was set', () => {
    const { replayed, live } = roundTrip({ items: {} as Record<string, { tags: string[] }> }, (d) => {
      const item = { tags: [] as string[] };
      d.items.x = item;
      item.tags.push('late');
    });
    expect(replayed).toEqual(live);
    expect(replayed.items.x!.tags).toEqual(['late']);
  });

  it('stores a value moved from elsewhere in the document as a plain copy', () => {
    const { replayed, live } = roundTrip({ a: { deep: { n: 1 } }, b: {} as Record<string, unknown> }, (d) => {
      d.b.moved = d.a.deep;
    });
    expect(replayed).toEqual(live);
    expect(live.b.moved).toBe(live.a.deep);
  });

  it('keeps what a throwing change did, and hands back the error', () => {
    const { live, replayed, error } = roundTrip({ n: 0, m: 0 }, (d) => {
      d.n = 1;
      throw new Error('halfway');
    });
    expect((error as Error).message).toBe('halfway');
    expect(live).toEqual({ n: 1, m: 0 });
    expect(replayed).toEqual(live);
  });

  it('records nothing for a change that changes nothing', () => {
    expect(recordChanges({ a: { b: 1 } }, (d) => void d.a.b).payload).toBe('');
  });

  it('replays a key named __proto__ as an own property, never as the prototype', () => {
    const { replayed } = roundTrip({ m: {} as Record<string, unknown> }, (d) => {
      Object.defineProperty(d.m, '__proto__', { value: { polluted: true }, enumerable: true, writable: true, configurable: true });
    });
    expect(Object.getPrototypeOf(replayed.m)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('leaves no view in the document when a change copies one into a new value', () => {
    const { live, replayed } = roundTrip({ laptops: { A: { snapshots: { s1: { bytes: 1 } }, usage: 1 } } as Record<string, { snapshots: Record<string, { bytes: number }>; usage: number }> }, (d) => {
      const old = d.laptops.A!;
      d.laptops.A = { ...old, usage: 2, snapshots: { ...old.snapshots } };
    });
    expect(types.isProxy(live.laptops.A!.snapshots.s1)).toBe(false);
    expect(types.isProxy(live.laptops.A!.snapshots)).toBe(false);
    expect(replayed).toEqual(live);
    expect(structuredClone(live)).toEqual(live);
  });
});
