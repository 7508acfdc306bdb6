import { describe, expect, it } from 'vitest';
import { describeWindow, isWithin, parseWindows } from './time-windows.js';

describe('time windows', () => {
  it('read entries of days and ranges', () => {
    const parsed = parseWindows('mon-fri 20:00-24:00 00:00-06:00; sat,sun 00:00-24:00');
    expect(parsed.ok && parsed.value.map(describeWindow)).toEqual([
      'mon,tue,wed,thu,fri 20:00-24:00', 'mon,tue,wed,thu,fri 00:00-06:00', 'sun,sat 00:00-24:00',
    ]);
    expect(parseWindows('').ok && parseWindows('').value).toEqual([]);
  });

  it('say which entry is wrong', () => {
    const parsed = parseWindows('mon-fri 20:00-24:00; nights 01:00-05:00');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toContain('"nights" is not a day list');
    const backwards = parseWindows('sat 06:00-05:00');
    expect(!backwards.ok && backwards.message).toContain('"06:00-05:00" is not a range');
  });

  it('tell whether a moment is inside', () => {
    const parsed = parseWindows('sat,sun 00:00-24:00');
    if (!parsed.ok) throw new Error(parsed.message);
    expect(isWithin(parsed.value, new Date(2026, 0, 4, 9, 0))).toBe(true); // a Sunday
    expect(isWithin(parsed.value, new Date(2026, 0, 5, 9, 0))).toBe(false);
  });
});
