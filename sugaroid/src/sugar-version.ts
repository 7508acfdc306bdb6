/**
 * Activity versions as Sugar compares them (sugar-toolkit-gtk3
 * `src/sugar3/bundle/bundleversion.py`): numbers separated by dots, no leading
 * zeros, an optional `-x…` or `~x…` suffix that is ignored, trailing `.0`
 * parts after the first dropped, then the lists compared. A laptop needs this
 * to decide what is an update; the server has its own copy, on purpose.
 */

const VERSION = /^(\d+)((?:\.\d+)*)(?:[-~][^\n][a-zA-Z]*)?$/;

/** The parts Sugar compares (digit strings), or null for a version Sugar refuses. */
export function versionParts(text: string): string[] | null {
  const match = VERSION.exec(text);
  if (!match) return null;
  const parts = [match[1]!, ...(match[2] ? match[2].slice(1).split('.') : [])];
  if (parts.some((part) => part.length > 1 && part.startsWith('0'))) return null;
  while (parts.length > 1 && parts[parts.length - 1] === '0') parts.pop();
  return parts;
}

/** True when Sugar accepts `text` as an activity version. */
export function isSugarVersion(text: string): boolean {
  return versionParts(text) !== null;
}

/** Negative, zero or positive as `a` is older than, equal to or newer than `b`; both must be valid. */
export function compareSugarVersions(a: string, b: string): number {
  const x = versionParts(a);
  const y = versionParts(b);
  if (!x || !y) throw new TypeError(`not Sugar versions: ${JSON.stringify(a)}, ${JSON.stringify(b)}`);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const p = x[i]!;
    const q = y[i]!;
    if (p.length !== q.length) return p.length - q.length;
    if (p !== q) return p < q ? -1 : 1;
  }
  return x.length - y.length;
}
