import { describe, expect, it } from 'vitest';
import { MAX_RANGES, parseRange } from './byte-ranges.js';

const SIZE = 1000;
const partial = (...ranges: [number, number][]) => ({ kind: 'partial', ranges: ranges.map(([start, end]) => ({ start, end })) });

describe('Range headers', () => {
  it('reads the three forms, clamping to the file', () => {
    expect(parseRange('bytes=0-99', SIZE)).toEqual(partial([0, 99]));
    expect(parseRange('bytes=900-', SIZE)).toEqual(partial([900, 999]));
    expect(parseRange('bytes=-22', SIZE)).toEqual(partial([978, 999]));
    expect(parseRange('bytes=-5000', SIZE)).toEqual(partial([0, 999]));
    expect(parseRange('bytes=990-5000', SIZE)).toEqual(partial([990, 999]));
    expect(parseRange('Bytes = 0-0', SIZE)).toEqual(partial([0, 0]));
  });

  it('keeps several ranges in order, merging overlapping and adjacent ones', () => {
    expect(parseRange('bytes=0-9, 500-509, -10', SIZE)).toEqual(partial([0, 9], [500, 509], [990, 999]));
    expect(parseRange('bytes=500-509,0-9', SIZE)).toEqual(partial([0, 9], [500, 509]));
    expect(parseRange('bytes=0-99,50-149,150-160', SIZE)).toEqual(partial([0, 160]));
    expect(parseRange('bytes=0-0,0-0,0-0', SIZE)).toEqual(partial([0, 0]));
    expect(parseRange('bytes=0-9,,20-29', SIZE)).toEqual(partial([0, 9], [20, 29]));
  });

  it('is unsatisfiable when nothing lies within the file', () => {
    expect(parseRange('bytes=1000-', SIZE)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=5000-6000, 1000-1001', SIZE)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=-0', SIZE)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=99999999999999999999-', SIZE)).toEqual({ kind: 'unsatisfiable' });
    // The satisfiable ones are served; the others dropped.
    expect(parseRange('bytes=5000-6000, 0-1', SIZE)).toEqual(partial([0, 1]));
  });

  it('ignores headers it cannot read, sending the whole file', () => {
    for (const header of [undefined, '', 'bytes', 'bytes=', 'items=0-1', 'bytes=a-b', 'bytes=5-1', 'bytes=0-1,5-1', 'bytes=--1', 'bytes=1-2-3', 'bytes=0x10-', 'bytes= - ', 'bytes=+1-2']) {
      expect(parseRange(header, SIZE), String(header)).toEqual({ kind: 'whole' });
    }
  });

  it(`ignores more than ${MAX_RANGES} ranges`, () => {
    const many = Array.from({ length: MAX_RANGES + 1 }, (_, i) => `${i * 10}-${i * 10}`).join(',');
    expect(parseRange(`bytes=${many}`, SIZE)).toEqual({ kind: 'whole' });
    const allowed = Array.from({ length: MAX_RANGES }, (_, i) => `${i * 10}-${i * 10}`).join(',');
    expect(parseRange(`bytes=${allowed}`, SIZE)).toMatchObject({ kind: 'partial', ranges: { length: MAX_RANGES } });
  });
});
