/**
 * Time windows: when a category blocks. `gambling mon-fri 08:00-17:00;
 * games sat,sun 10:00-12:00 14:00-16:00` makes those categories block only
 * then (server local time); categories without windows block always.
 */

/** One window: on these days (bit 0 Sunday … bit 6 Saturday), from `from` to `to` minutes after midnight. */
export interface TimeWindow {
  readonly days: number;
  readonly from: number;
  readonly to: number;
}

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const ALL_DAYS = 0x7f;
const CATEGORY = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/** Read the `times` option: `category days range [range…]`, entries separated by `;`. */
export function parseTimes(raw: string): Parsed<ReadonlyMap<string, readonly TimeWindow[]>> {
  const windows = new Map<string, TimeWindow[]>();
  for (const entry of raw.split(';').map((e) => e.trim()).filter(Boolean)) {
    const [category, days, ...ranges] = entry.split(/\s+/);
    const bad = (why: string): Parsed<never> => ({ ok: false, message: `"${entry}": ${why} (expected e.g. "games mon-fri 08:00-12:00 13:00-16:00")` });
    if (!category || !CATEGORY.test(category)) return bad('starts with a category name');
    if (!days) return bad('days are missing');
    const dayMask = parseDays(days);
    if (dayMask === null) return bad(`"${days}" is not a day list such as mon-fri, sat,sun or *`);
    if (ranges.length === 0) return bad('no time range');
    const list = windows.get(category) ?? [];
    for (const range of ranges) {
      const match = /^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$/.exec(range);
      const from = match ? Number(match[1]) * 60 + Number(match[2]) : NaN;
      const to = match ? Number(match[3]) * 60 + Number(match[4]) : NaN;
      if (!match || Number(match[2]) > 59 || Number(match[4]) > 59 || from >= to || to > 24 * 60) {
        return bad(`"${range}" is not a range such as 08:00-16:30 within one day`);
      }
      list.push({ days: dayMask, from, to });
    }
    windows.set(category, list);
  }
  return { ok: true, value: windows };
}

function parseDays(text: string): number | null {
  if (text === '*' || text === 'all') return ALL_DAYS;
  let mask = 0;
  for (const part of text.split(',')) {
    const [first, last] = part.split('-');
    const a = DAYS.indexOf(first ?? '');
    const b = last === undefined ? a : DAYS.indexOf(last);
    if (a < 0 || b < 0) return null;
    for (let day = a; ; day = (day + 1) % 7) {
      mask |= 1 << day;
      if (day === b) break;
    }
  }
  return mask;
}

/** Whether `date` (local time) falls in one of `windows`; no windows means always. */
export function isWithin(windows: readonly TimeWindow[], date: Date): boolean {
  if (windows.length === 0) return true;
  const day = 1 << date.getDay();
  const minute = date.getHours() * 60 + date.getMinutes();
  return windows.some((w) => (w.days & day) !== 0 && minute >= w.from && minute < w.to);
}

/** `mon-fri 08:00-16:30` for people (status pages, the README's examples). */
export function describeWindow(window: TimeWindow): string {
  const days = window.days === ALL_DAYS ? '*' : DAYS.filter((_, i) => window.days & (1 << i)).join(',');
  const time = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  return `${days} ${time(window.from)}-${time(window.to)}`;
}
