import { describe, expect, it } from 'vitest';
import { httpDate, isNotModified, rangeStillValid, type Validators } from './conditional-get.js';

const FILE: Validators = { etag: '"abc"', lastModified: httpDate(Date.UTC(2024, 0, 2, 3, 4, 5, 678)) };

describe('conditional GETs', () => {
  it('writes HTTP dates to the second', () => {
    expect(FILE.lastModified).toBe('Tue, 02 Jan 2024 03:04:05 GMT');
  });

  it('answers 304 for a matching If-None-Match (weak comparison, lists, *)', () => {
    for (const ifNoneMatch of ['"abc"', 'W/"abc"', '"x", "abc"', '*']) expect(isNotModified({ ifNoneMatch, ifModifiedSince: '' }, FILE), ifNoneMatch).toBe(true);
    expect(isNotModified({ ifNoneMatch: '"abd"', ifModifiedSince: '' }, FILE)).toBe(false);
  });

  it('answers 304 when not modified since, unless If-None-Match is there', () => {
    expect(isNotModified({ ifNoneMatch: '', ifModifiedSince: FILE.lastModified }, FILE)).toBe(true);
    expect(isNotModified({ ifNoneMatch: '', ifModifiedSince: 'Tue, 02 Jan 2024 03:04:04 GMT' }, FILE)).toBe(false);
    expect(isNotModified({ ifNoneMatch: '', ifModifiedSince: 'yesterday' }, FILE)).toBe(false);
    expect(isNotModified({ ifNoneMatch: '"other"', ifModifiedSince: FILE.lastModified }, FILE)).toBe(false);
  });

  it('keeps a range only for the same file', () => {
    expect(rangeStillValid('', FILE)).toBe(true);
    expect(rangeStillValid('"abc"', FILE)).toBe(true);
    expect(rangeStillValid('W/"abc"', FILE)).toBe(false);
    expect(rangeStillValid('"old"', FILE)).toBe(false);
    expect(rangeStillValid(FILE.lastModified, FILE)).toBe(true);
    expect(rangeStillValid('Tue, 02 Jan 2024 03:04:06 GMT', FILE)).toBe(false);
    expect(rangeStillValid('garbage', FILE)).toBe(false);
  });
});
