/**
 * One line of a `domains` or `urls` list: an entry, nothing (blank or
 * comment), or garbage with the reason. Like squidGuard, only the first word
 * of a line counts. Domain lines are read straight from the file's bytes, and
 * only unusual ones (international names, IP spellings) become strings.
 */
import { normaliseHost, normaliseUrl } from '../squid/normalise.js';

/** A blank line or a `#` comment. */
export const LINE_SKIP = 0;
/** An ASCII host name in `bytes[start, end)`, hashable as it is (upper case folds while hashing). */
export const LINE_ASCII = 1;
/** A host name that needed rewriting, in `host`. */
export const LINE_TEXT = 2;
/** Not an entry; `reason` says why. */
export const LINE_BAD = 3;

const MAX_NAME = 253;
const MAX_LABEL = 63;

/** Reads domain lines; the fields describe the last line read (no allocation on the common path). */
export class DomainLineReader {
  start = 0;
  end = 0;
  host = '';
  reason = '';

  /** Classify `bytes[start, end)` (one line without its newline). */
  read(bytes: Uint8Array, start: number, end: number): number {
    while (start < end && isSpace(bytes[start]!)) start++;
    if (start === end || bytes[start] === 35 /* # */) return LINE_SKIP;
    let wordEnd = start;
    while (wordEnd < end && !isSpace(bytes[wordEnd]!)) wordEnd++;
    end = wordEnd;
    while (start < end && bytes[start] === 46) start++;
    while (end > start && bytes[end - 1] === 46) end--;
    if (start === end) return this.bad('no host name');
    if (end - start > MAX_NAME) return this.bad(`longer than ${MAX_NAME} characters`);

    let label = 0;
    let numeric = true;
    let unusual = false;
    for (let i = start; i < end; i++) {
      const c = bytes[i]!;
      if (c === 46) {
        if (label === 0) return this.bad('empty label ("..")');
        label = 0;
        continue;
      }
      if (++label > MAX_LABEL) return this.bad(`a label is longer than ${MAX_LABEL} characters`);
      if (c >= 48 && c <= 57) continue;
      numeric = false;
      if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 45 || c === 95) continue;
      if (c >= 0x80 || c === 58 /* : (IPv6) */ || c === 91 || c === 93) {
        unusual = true;
        continue;
      }
      if (c === 47) return this.bad('a URL in a domains list (put it in urls)');
      return this.bad(`character ${JSON.stringify(String.fromCharCode(c))} cannot be in a host name`);
    }
    if (!numeric && !unusual && !endsNumeric(bytes, start, end)) {
      this.start = start;
      this.end = end;
      return LINE_ASCII;
    }
    return this.readUnusual(Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1'), numeric);
  }

  private readUnusual(word: string, numeric: boolean): number {
    const isV6 = word.includes(':');
    // Browsers read `1.2.3` as 1.2.0.3; in a list it is far more likely a typo, so lists spell IPv4 in full.
    if (numeric && !/^\d{1,3}(?:\.\d{1,3}){3}$/.test(word)) return this.bad('neither a host name nor an IPv4 address (a.b.c.d)');
    const host = normaliseHost(isV6 && !word.startsWith('[') ? `[${word}]` : word);
    if (!host) return this.bad('not an IP address');
    if ((numeric || isV6) && !host.isIp) return this.bad('neither a host name nor an IP address');
    if (!numeric && !isV6 && !host.isIp && /(?:^|\.)\d+$/.test(host.host)) return this.bad('neither a host name nor an IP address');
    this.host = host.host;
    return LINE_TEXT;
  }

  private bad(reason: string): number {
    this.reason = reason;
    return LINE_BAD;
  }
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 13;
}

/** The last label is all digits: not a host name, so it must be read as an IP address. */
function endsNumeric(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = end - 1; i >= start; i--) {
    const c = bytes[i]!;
    if (c === 46) return i < end - 1;
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** One `urls` entry: the host as written (not `www`-stripped) and the path prefix. */
export interface UrlEntry {
  readonly host: string;
  readonly path: string;
}

/** Classify one line of a `urls` list. */
export function readUrlLine(line: string): { kind: 'skip' } | { kind: 'url'; entry: UrlEntry } | { kind: 'bad'; reason: string } {
  const text = line.trim();
  if (!text || text.startsWith('#')) return { kind: 'skip' };
  const word = text.split(/[ \t]/, 1)[0]!;
  const url = normaliseUrl(word);
  if (!url) return { kind: 'bad', reason: 'no host name' };
  if (url.host.length > MAX_NAME || /[^a-z0-9._\-[\]:]/.test(url.host)) return { kind: 'bad', reason: `"${url.host}" is not a host name` };
  return { kind: 'url', entry: { host: url.host, path: url.path } };
}
