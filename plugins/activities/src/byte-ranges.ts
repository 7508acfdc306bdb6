/**
 * The `Range` request header (RFC 9110 §14.2), for byte ranges of a file of
 * known size. Sugar reads a bundle's name and icon with range requests before
 * deciding to download it (jarabe `util/httprange.py`), so this has to be right:
 *
 *  - `bytes=0-99`, `bytes=100-` (to the end), `bytes=-100` (the last 100), and
 *    lists of those; the unit is case-insensitive, whitespace around items ignored;
 *  - a header that does not parse, names another unit, or holds a range whose
 *    end is before its start is ignored (the whole file is sent), as the RFC says;
 *  - ranges starting past the end are dropped; none left means 416;
 *  - overlapping or adjacent ranges are merged (the RFC allows it), so a
 *    client cannot make the server send the same bytes many times;
 *  - more than {@link MAX_RANGES} ranges is ignored as abuse.
 */

/** An inclusive byte range. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/** What to answer. */
export type RangeAnswer =
  /** No usable Range header: the whole file, 200. */
  | { readonly kind: 'whole' }
  /** Nothing requested lies within the file: 416. */
  | { readonly kind: 'unsatisfiable' }
  /** 206 with these ranges, in ascending order, merged. */
  | { readonly kind: 'partial'; readonly ranges: readonly ByteRange[] };

export const MAX_RANGES = 64;

const WHOLE: RangeAnswer = { kind: 'whole' };
const FROM_TO = /^(\d+)-(\d*)$/;
const SUFFIX = /^-(\d+)$/;

/** Decide what a `Range` header asks of a file of `size` bytes. */
export function parseRange(header: string | undefined, size: number): RangeAnswer {
  if (header === undefined) return WHOLE;
  const equals = header.indexOf('=');
  if (equals < 0 || header.slice(0, equals).trim().toLowerCase() !== 'bytes') return WHOLE;
  const items = header.slice(equals + 1).split(',').map((item) => item.trim()).filter(Boolean);
  if (items.length === 0 || items.length > MAX_RANGES) return WHOLE;

  const wanted: ByteRange[] = [];
  for (const item of items) {
    const fromTo = FROM_TO.exec(item);
    if (fromTo) {
      const start = Number(fromTo[1]);
      const end = fromTo[2] === '' ? Infinity : Number(fromTo[2]);
      if (end < start) return WHOLE;
      if (start < size) wanted.push({ start, end: Math.min(end, size - 1) });
      continue;
    }
    const suffix = SUFFIX.exec(item);
    if (!suffix) return WHOLE;
    const length = Number(suffix[1]);
    if (length > 0 && size > 0) wanted.push({ start: Math.max(0, size - length), end: size - 1 });
  }
  if (wanted.length === 0) return { kind: 'unsatisfiable' };
  return { kind: 'partial', ranges: merge(wanted) };
}

/** Sort by start and merge ranges that overlap or touch. */
function merge(ranges: ByteRange[]): ByteRange[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const merged: ByteRange[] = [sorted[0]!];
  for (const range of sorted.slice(1)) {
    const last = merged[merged.length - 1]!;
    if (range.start <= last.end + 1) merged[merged.length - 1] = { start: last.start, end: Math.max(last.end, range.end) };
    else merged.push(range);
  }
  return merged;
}
