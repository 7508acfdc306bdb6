import { describe, expect, it } from 'vitest';
import { compareSugarVersions, isSugarVersion, versionParts } from './sugar-version.js';

describe('Sugar versions, as the laptop compares them', () => {
  it('accepts and refuses what bundleversion.py documents', () => {
    for (const good of ['1', '1.2', '1.2.3', '1.2.3-peru', '1.2.3~dfsg']) expect(isSugarVersion(good), good).toBe(true);
    for (const bad of ['1.2peru', '1.2.', '1.02.5', '', 'x']) expect(isSugarVersion(bad), bad).toBe(false);
  });

  it('compares 157.3 before 201.2, and ignores suffixes and trailing zeros', () => {
    expect(compareSugarVersions('157.3', '201.2')).toBeLessThan(0);
    expect(compareSugarVersions('1.0', '1')).toBe(0);
    expect(compareSugarVersions('2-peru', '2~dfsg')).toBe(0);
    expect(compareSugarVersions('1.10', '1.9')).toBeGreaterThan(0);
    expect(compareSugarVersions('1.1', '1')).toBeGreaterThan(0);
    expect(versionParts('0.0')).toEqual(['0']);
  });
});
