import { describe, expect, it } from 'vitest';
import { compareVersions, parseVersion, type SugarVersion } from './sugar-version.js';

const v = (text: string): SugarVersion => {
  const parsed = parseVersion(text);
  if (!parsed) throw new Error(`${text} should parse`);
  return parsed;
};

describe('Sugar activity versions (bundleversion.py)', () => {
  it('accepts the versions its docstring calls valid', () => {
    for (const text of ['1', '1.2', '1.2.3', '1.2.3-peru', '1.2.3~dfsg', '0', '0.0', '157.3', '201.2', '1-1', '3-.']) {
      expect(parseVersion(text), text).not.toBeNull();
    }
  });

  it('refuses the versions its docstring calls invalid, and other malformed ones', () => {
    for (const text of ['1.2peru', '1.2.', '1.02.5', '1.2-', '01', '00', '1.00', '', '.1', '1..2', 'v1', '1.2 ', ' 1', '1-peru1', '1.2-\n', '١']) {
      expect(parseVersion(text), JSON.stringify(text)).toBeNull();
    }
  });

  it('compares as its docstring shows: 157.3 is older than 201.2', () => {
    expect(compareVersions(v('157.3'), v('201.2'))).toBeLessThan(0);
    expect(compareVersions(v('201.2'), v('157.3'))).toBeGreaterThan(0);
  });

  it('drops trailing zero parts and ignores the suffix', () => {
    expect(v('1.0.0').parts).toEqual(['1']);
    expect(v('0.0').parts).toEqual(['0']);
    expect(v('2.10.0-rc').parts).toEqual(['2', '10']);
    expect(compareVersions(v('1'), v('1.0'))).toBe(0);
    expect(compareVersions(v('1.2-peru'), v('1.2~dfsg'))).toBe(0);
    expect(compareVersions(v('1.2.3-a'), v('1.2.3'))).toBe(0);
  });

  it('compares part by part as numbers, a longer list being newer', () => {
    expect(compareVersions(v('1.10'), v('1.9'))).toBeGreaterThan(0);
    expect(compareVersions(v('1.1'), v('1'))).toBeGreaterThan(0);
    expect(compareVersions(v('2'), v('1.99.99'))).toBeGreaterThan(0);
    expect(compareVersions(v('0.1'), v('0'))).toBeGreaterThan(0);
    expect(compareVersions(v('99999999999999999999'), v('99999999999999999998'))).toBeGreaterThan(0);
  });
});
