import { describe, expect, it } from 'vitest';
import { KEY_FLIP } from './domain-hash.js';
import { EMPTY_SLOT, findInTable, homeScale, homeSlot, LOAD, placeEntries } from './domain-table.js';

/** Sorted distinct entries (low, high words) from [hi, lo] pairs. */
function entries(pairs: [number, number][]): Uint32Array {
  const words = new Uint32Array(pairs.length * 2);
  pairs.forEach(([hi, lo], i) => {
    words[i * 2] = lo;
    words[i * 2 + 1] = hi;
  });
  return words;
}

function keysOf(table: Uint32Array): Int32Array {
  return new Int32Array(table.map((w) => w ^ KEY_FLIP).buffer);
}

const find = (keys: Int32Array, homeSlots: number, hi: number, lo: number) =>
  findInTable(keys, homeScale(homeSlots), (hi ^ KEY_FLIP) | 0, (lo ^ KEY_FLIP) | 0, hi);

describe('the domain table', () => {
  it('places each entry at its home slot or right after the one before, leaving an empty slot last', () => {
    // Five entries crowding the same home slot, then one far away.
    const pairs: [number, number][] = [[0x10000000, 0x100], [0x10000001, 0x200], [0x10000002, 0x100], [0x10000003, 0x100], [0x10000004, 0x300], [0xf0000000, 0x100]];
    const { table, homeSlots } = placeEntries(entries(pairs), pairs.length);
    expect(homeSlots).toBe(Math.ceil(pairs.length / LOAD));
    const home = homeSlot(0x10000000, homeScale(homeSlots));
    expect([0, 1, 2, 3, 4].map((i) => table[(home + i) * 2 + 1])).toEqual(pairs.slice(0, 5).map(([hi]) => hi));
    expect(table[table.length - 2]! & 0xff).toBe(EMPTY_SLOT);
  });

  it('finds every entry, displaced ones included, and nothing else', () => {
    const pairs: [number, number][] = [];
    for (let i = 0; i < 2000; i++) pairs.push([(0x00010000 * (i >> 3) + i) >>> 0, (i << 8) >>> 0]);
    pairs.push([0xffffffff, 0xffffff00]);
    const { table, homeSlots } = placeEntries(entries(pairs), pairs.length);
    const keys = keysOf(table);
    for (const [hi, lo] of pairs) expect(find(keys, homeSlots, hi, lo), `${hi}`).toBeGreaterThanOrEqual(0);
    for (const [hi, lo] of pairs.slice(0, 200)) {
      expect(find(keys, homeSlots, hi, (lo + 0x100) >>> 0)).toBe(-1);
      expect(find(keys, homeSlots, (hi + 1) >>> 0, lo)).toBe(-1);
    }
    expect(find(keys, homeSlots, 0, 0x500)).toBe(-1);
  });

  it('works empty', () => {
    const { table, homeSlots } = placeEntries(new Uint32Array(0), 0);
    expect(find(keysOf(table), homeSlots, 0x12345678, 0x100)).toBe(-1);
  });
});
