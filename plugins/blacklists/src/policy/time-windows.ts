/**
 * Time windows: when a category blocks. `gambling mon-fri 08:00-17:00;
 * games sat,sun 10:00-12:00 14:00-16:00` makes those categories block only
 * then (server local time); categories without windows block always. The
 * days and ranges are the core's window syntax.
 */
import { parseDayWindows, type TimeWindow } from 'sugar-server';

export { describeWindow, isWithin, type TimeWindow } from 'sugar-server';

const CATEGORY = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/** Read the `times` option: `category days range [range…]`, entries separated by `;`. */
export function parseTimes(raw: string): Parsed<ReadonlyMap<string, readonly TimeWindow[]>> {
  const windows = new Map<string, TimeWindow[]>();
  for (const entry of raw.split(';').map((e) => e.trim()).filter(Boolean)) {
    const [category, ...rest] = entry.split(/\s+/);
    const bad = (why: string): Parsed<never> => ({ ok: false, message: `"${entry}": ${why} (expected e.g. "games mon-fri 08:00-12:00 13:00-16:00")` });
    if (!category || !CATEGORY.test(category)) return bad('starts with a category name');
    const parsed = parseDayWindows(rest);
    if (!parsed.ok) return bad(parsed.message);
    windows.set(category, [...(windows.get(category) ?? []), ...parsed.value]);
  }
  return { ok: true, value: windows };
}
