import { describe, expect, it } from 'vitest';
import { LeasesErrors } from './errors.js';
import { formatStolenList, parseStolenList, STOLEN_FILE } from './stolen-list.js';

describe('stolen.txt', () => {
  it('is one serial a line, sorted, without duplicates, each line ending in a newline', () => {
    expect(formatStolenList(['SHC0000000B', 'SHC00000001', 'SHC0000000B', 'SHC0000000A'])).toBe('SHC00000001\nSHC0000000A\nSHC0000000B\n');
  });

  it('is empty when nothing is stolen, and an empty file reads as no serial', () => {
    expect(formatStolenList([])).toBe('');
    expect(parseStolenList('')).toEqual(new Set());
  });

  it('reads back what it writes', () => {
    const serials = ['SHC00000001', 'SHC0000000A', 'sl1234'];
    expect([...parseStolenList(Buffer.from(formatStolenList(serials)))]).toEqual(serials);
  });

  it('forgives a missing newline after the last serial, and takes any order', () => {
    expect(parseStolenList('SHC0000000B\nSHC00000001')).toEqual(new Set(['SHC00000001', 'SHC0000000B']));
  });

  it.each([
    ['SHC00000001\nSHC 0002\n', 2, '"SHC 0002" is not a serial number'],
    ['SHC00000001\n\nSHC00000002\n', 2, 'an empty line is not a serial number'],
    ['SHC00000001\r\nSHC00000002\r\n', 1, '"SHC00000001\\r" is not a serial number'],
    ['\n', 1, 'an empty line'],
    [`${'X'.repeat(100)}\n`, 1, `"${'X'.repeat(40)}…" is not a serial number`],
  ])('refuses the whole list over one bad line: %j', (text, line, why) => {
    let error: unknown;
    try {
      parseStolenList(text);
    } catch (err) {
      error = err;
    }
    expect(LeasesErrors.BAD_STOLEN_LIST.is(error)).toBe(true);
    expect((error as Error).message).toContain(`${STOLEN_FILE} line ${line}: ${why}`);
    expect((error as Error).message).toMatch(/nothing from this feed version was applied$/);
  });

  it('names the file it was given', () => {
    expect(() => parseStolenList('no good\n', 'other.txt')).toThrow(/^other\.txt line 1: /);
  });
});
