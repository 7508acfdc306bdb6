/**
 * Activity versions as Sugar reads them (sugar-toolkit-gtk3
 * `src/sugar3/bundle/bundleversion.py`, `NormalizedVersion`): one or more whole
 * numbers separated by dots, no leading zeros, optionally followed by `-` or `~`,
 * one character and letters (`1.2.3-peru`, `1.2.3~dfsg`). The suffix is ignored
 * when comparing; so are trailing `.0` parts after the first (`1.0` equals `1`).
 *
 * Parts are kept as digit strings, so versions longer than a JavaScript number
 * still compare exactly, as Python's integers do.
 */

/** A version Sugar accepts, with the parts it compares. */
export interface SugarVersion {
  /** As written in activity.info. */
  readonly text: string;
  /** The numbers compared, without leading zeros, trailing zero parts dropped (the first part stays). */
  readonly parts: readonly string[];
}

// bundleversion.py's VERSION_RE. Python's `.` matches anything but a newline;
// `\d` is narrowed to ASCII digits here (Python would also take other scripts' digits).
const VERSION = /^(\d+)((?:\.\d+)*)(?:[-~][^\n][a-zA-Z]*)?$/;

/** The version, or null when Sugar would raise InvalidVersionError. */
export function parseVersion(text: string): SugarVersion | null {
  const match = VERSION.exec(text);
  if (!match) return null;
  const parts = [match[1]!];
  const extra = match[2] ? match[2].slice(1).split('.') : [];
  for (const part of [parts[0]!, ...extra]) if (part.length > 1 && part.startsWith('0')) return null;
  while (extra.length && extra[extra.length - 1] === '0') extra.pop();
  return { text, parts: [...parts, ...extra] };
}

/** True when `text` is a version Sugar accepts. */
export function isVersion(text: string): boolean {
  return parseVersion(text) !== null;
}

/** Negative, zero or positive as `a` is older than, equal to or newer than `b` (Python list comparison of the parts). */
export function compareVersions(a: SugarVersion, b: SugarVersion): number {
  const shared = Math.min(a.parts.length, b.parts.length);
  for (let i = 0; i < shared; i++) {
    const order = compareWholeNumbers(a.parts[i]!, b.parts[i]!);
    if (order !== 0) return order;
  }
  return a.parts.length - b.parts.length;
}

/** Digit strings without leading zeros: the longer is larger; at equal length, text order is number order. */
function compareWholeNumbers(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}
