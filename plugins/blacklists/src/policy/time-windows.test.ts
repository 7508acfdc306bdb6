import { describe, expect, it } from 'vitest';
import { describeWindow, isWithin, parseTimes } from './time-windows.js';

describe('time windows', () => {
  it('read categories, days and ranges', () => {
    const parsed = parseTimes('games mon-fri 08:00-12:00 13:00-16:30; social sat,sun 10:00-24:00; chat * 00:00-01:00');
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value.get('games')!.map(describeWindow)).toEqual(['mon,tue,wed,thu,fri 08:00-12:00', 'mon,tue,wed,thu,fri 13:00-16:30']);
    expect(parsed.value.get('social')!.map(describeWindow)).toEqual(['sun,sat 10:00-24:00']);
    expect(parsed.value.get('chat')!.map(describeWindow)).toEqual(['* 00:00-01:00']);
    expect(parseTimes('fri-mon 09:00-10:00').ok).toBe(false);
    const wrap = parseTimes('x fri-mon 09:00-10:00');
    expect(wrap.ok && describeWindow(wrap.value.get('x')![0]!)).toBe('sun,mon,fri,sat 09:00-10:00');
  });

  it('say what is wrong', () => {
    for (const bad of ['games', 'games mon-fri', 'games someday 08:00-09:00', 'games mon 09:00-08:00', 'games mon 8h-9h', 'Bad! mon 08:00-09:00']) {
      const parsed = parseTimes(bad);
      expect(parsed.ok, bad).toBe(false);
      if (!parsed.ok) expect(parsed.message).toContain('expected e.g.');
    }
  });

  it('tell whether a moment is inside', () => {
    const parsed = parseTimes('games mon-fri 08:00-12:00');
    if (!parsed.ok) throw new Error(parsed.message);
    const windows = parsed.value.get('games')!;
    expect(isWithin(windows, new Date(2026, 0, 5, 8, 0))).toBe(true); // a Monday
    expect(isWithin(windows, new Date(2026, 0, 5, 12, 0))).toBe(false);
    expect(isWithin(windows, new Date(2026, 0, 4, 9, 0))).toBe(false); // a Sunday
    expect(isWithin([], new Date())).toBe(true);
  });
});
