/**
 * Time windows in the config: `mon-fri 08:00-12:00 13:00-16:30; sat,sun
 * 10:00-18:00` (server local time). Blacklists' `times` puts a category
 * before each entry; backup's `replicate_windows` uses the entries as they are.
 */

/** One window: on these days (bit 0 Sunday … bit 6 Saturday), from `from` to `to` minutes after midnight. */
export interface TimeWindow {
  readonly days: number;
  readonly from: number;
  readonly to: number;
}

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const ALL_DAYS = 0x7f;

type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/** One entry's `days range [range…]` words; the message says which word is wrong. */
export function parseDayWindows(words: readonly string[]): Parsed<TimeWindow[]> {
  const [days, ...ranges] = words;
  if (!days) return { ok: false, message: 'days are missing' };
  const dayMask = parseDays(days);
  if (dayMask === null) return { ok: false, message: `"${days}" is not a day list such as mon-fri, sat,sun or *` };
  if (ranges.length === 0) return { ok: false, message: 'no time range' };
  const list: TimeWindow[] = [];
  for (const range of ranges) {
    const match = /^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$/.exec(range);
    const from = match ? Number(match[1]) * 60 + Number(match[2]) : NaN;
    const to = match ? Number(match[3]) * 60 + Number(match[4]) : NaN;
    if (!match || Number(match[2]) > 59 || Number(match[4]) > 59 || from >= to || to > 24 * 60) {
      return { ok: false, message: `"${range}" is not a range such as 08:00-16:30 within one day` };
    }
    list.push({ days: dayMask, from, to });
  }
  return { ok: true, value: list };
}

/** Entries `days range [range…]` separated by `;`; empty text is no window (always). */
export function parseWindows(raw: string): Parsed<readonly TimeWindow[]> {
  const windows: TimeWindow[] = [];
  for (const entry of raw.split(';').map((e) => e.trim()).filter(Boolean)) {
    const parsed = parseDayWindows(entry.split(/\s+/));
    if (!parsed.ok) return { ok: false, message: `"${entry}": ${parsed.message} (expected e.g. "mon-fri 20:00-24:00 00:00-06:00; sat,sun 00:00-24:00")` };
    windows.push(...parsed.value);
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
