/**
 * URL normalisation before matching, following squidGuard's `parseLine` so
 * that lists written for squidGuard mean the same here. The README lists every
 * rule, and where this differs from squidGuard and why.
 *
 * Strings here are byte strings: one character per byte (latin1), which is
 * what squid sends and what the list files hold; only host names are read as
 * UTF-8, to turn international names into punycode.
 */
import { domainToASCII } from 'node:url';

/** A URL reduced to what the lists are matched against. */
export interface NormalisedUrl {
  /** Lower-case host name: punycode, no port, no trailing dot; IPv4 dotted decimal, IPv6 in brackets. */
  readonly host: string;
  /** `host` without a leading `www`, `web` or `ftp` label (with optional digits), as squidGuard strips it for URL lists and expressions. */
  readonly strippedHost: string;
  /** Lower-case path with its query, repeated slashes collapsed; `''` when the URL has none. */
  readonly path: string;
  /** The host is an IP address: it matches only entries for that address, never parent domains. */
  readonly isIp: boolean;
}

/**
 * A URL typed by a person (the HTTP check, the command line) as the byte
 * string squid would send: characters beyond ASCII become their UTF-8 bytes.
 */
export function byteString(text: string): string {
  return /[^\x00-\x7f]/.test(text) ? Buffer.from(text, 'utf8').toString('latin1') : text;
}

/** Longest URL read; squid's own limit is 8 KiB, and nothing longer is a real request. */
export const MAX_URL_LENGTH = 65_536;

const WWW_PREFIX = /^(?:www|web|ftp)[0-9]*\./;
const NUMERIC_LABEL = /(?:^|\.)(?:0x[0-9a-f]*|[0-9]+)$/;
const IPV4 = /^(?:\d{1,3}\.){3}\d{1,3}$/;

/** Decode every `%XX` once, as squidGuard's `HTUnEscape` does; a `%` not followed by two hex digits stays. */
export function percentDecode(text: string): string {
  let at = text.indexOf('%');
  if (at < 0) return text;
  let out = '';
  let from = 0;
  while (at >= 0 && at + 2 < text.length) {
    const high = hexValue(text.charCodeAt(at + 1));
    const low = hexValue(text.charCodeAt(at + 2));
    if (high >= 0 && low >= 0) {
      out += text.slice(from, at) + String.fromCharCode(high * 16 + low);
      from = at + 3;
      at = text.indexOf('%', from);
    } else {
      at = text.indexOf('%', at + 1);
    }
  }
  return out + text.slice(from);
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const lower = c | 32;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}

/** Lower-case ASCII letters only: other bytes are parts of UTF-8 sequences and must stay as they are. */
export function asciiLowerCase(text: string): string {
  if (!/[A-Z]/.test(text)) return text;
  // toLowerCase is exact for ASCII; bytes above 0x7f (latin1 letters to it) must not change.
  return /[\x80-\xff]/.test(text) ? text.replace(/[A-Z]+/g, (run) => run.toLowerCase()) : text.toLowerCase();
}

/** Collapse runs of `/` in the part before the query, as squidGuard does against `//` bypasses. */
function collapseSlashes(path: string): string {
  const double = path.indexOf('//');
  if (double < 0) return path;
  const query = path.indexOf('?');
  if (query >= 0 && query < double) return path;
  const head = query < 0 ? path : path.slice(0, query);
  return head.replace(/\/{2,}/g, '/') + (query < 0 ? '' : path.slice(query));
}

/**
 * The host as matched: trailing dots gone, international names in punycode,
 * IPv4 in every spelling (`0x7f.1`, `2130706433`) as dotted decimal, IPv6
 * canonical in brackets. Null when nothing is left.
 */
export function normaliseHost(rawHost: string): { host: string; isIp: boolean } | null {
  let host = rawHost;
  let end = host.length;
  while (end > 0 && host.charCodeAt(end - 1) === 46) end--;
  if (end < host.length) host = host.slice(0, end);
  if (!host) return null;
  if (host.charCodeAt(0) === 91 /* [ */) return canonicalIp(host);
  // A byte above 0x7f means a UTF-8 (international) name.
  for (let i = 0; i < host.length; i++) {
    if (host.charCodeAt(i) > 0x7f) {
      const ascii = domainToASCII(Buffer.from(host, 'latin1').toString('utf8'));
      return ascii ? { host: ascii, isIp: false } : { host, isIp: false };
    }
  }
  // Only a host whose last label could be a number can be an IPv4 address in some spelling.
  const last = host.charCodeAt(host.length - 1);
  if (((last >= 48 && last <= 57) || host.includes('0x')) && NUMERIC_LABEL.test(host)) return canonicalIp(host) ?? { host, isIp: false };
  return { host, isIp: false };
}

function canonicalIp(host: string): { host: string; isIp: boolean } | null {
  try {
    const parsed = new URL(`http://${host}/`).hostname;
    if (parsed.charCodeAt(0) === 91 || IPV4.test(parsed)) return { host: parsed, isIp: true };
    return { host: parsed, isIp: false };
  } catch {
    return host.charCodeAt(0) === 91 ? null : { host, isIp: false };
  }
}

/** `host` without squidGuard's `www`/`web`/`ftp` label (digits allowed, e.g. `www2.`). */
export function stripWwwPrefix(host: string): string {
  const first = host.charCodeAt(0);
  if (first !== 119 /* w */ && first !== 102 /* f */) return host;
  const match = WWW_PREFIX.exec(host);
  return match && match[0].length < host.length ? host.slice(match[0].length) : host;
}

/**
 * Normalise a URL as squid sends it (`http://host:port/path?query`, or
 * `host:port` for CONNECT), or as a person types it (`example.com/page`).
 * Null when it holds no host.
 */
export function normaliseUrl(raw: string): NormalisedUrl | null {
  if (raw.length > MAX_URL_LENGTH) raw = raw.slice(0, MAX_URL_LENGTH);
  let text = asciiLowerCase(raw.includes('%') ? percentDecode(raw) : raw);
  const fragment = text.indexOf('#');
  if (fragment >= 0) text = text.slice(0, fragment);

  // One pass over the authority (after "scheme://", up to the first "/" or "?"):
  // where the user part ends, where the port starts, and whether the host
  // needs the slower rules (international, IP, brackets, trailing dot).
  const schemeEnd = text.indexOf('://');
  let at = schemeEnd > 0 && isScheme(text, schemeEnd) ? schemeEnd + 3 : 0;
  let authorityEnd = text.length;
  let colon = -1;
  let unusual = text.charCodeAt(at) === 91 /* [ */;
  for (let i = at; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 47 /* / */ || c === 63 /* ? */) {
      authorityEnd = i;
      break;
    }
    if (c === 64 /* @ */) {
      at = i + 1;
      colon = -1;
      unusual = text.charCodeAt(at) === 91;
    } else if (c === 58 /* : */ && colon < 0) {
      colon = i;
    } else if (c > 0x7f) {
      unusual = true;
    }
  }
  let hostEnd = colon < 0 ? authorityEnd : colon;
  if (unusual && text.charCodeAt(at) === 91) {
    const close = text.indexOf(']', at);
    hostEnd = close >= 0 && close < authorityEnd ? close + 1 : authorityEnd;
  }
  const last = text.charCodeAt(hostEnd - 1);
  // Digits last (an IP address?) or a trailing dot take the full host rules too.
  if (last === 46 || (last >= 48 && last <= 57) || hostEnd <= at) unusual = true;
  const host = unusual ? normaliseHost(text.slice(at, hostEnd)) : plainHost(text.slice(at, hostEnd));
  if (!host) return null;
  let path = authorityEnd < text.length ? text.slice(authorityEnd) : '';
  if (path.charCodeAt(0) === 63) path = `/${path}`;
  return {
    host: host.host,
    strippedHost: host.isIp ? host.host : stripWwwPrefix(host.host),
    path: collapseSlashes(path),
    isIp: host.isIp,
  };
}

/** A host that needs none of the slower rules (or an `0x` spelling of an IP address, which still does). */
function plainHost(host: string): { host: string; isIp: boolean } | null {
  return host.includes('0x') ? normaliseHost(host) : { host, isIp: false };
}

/** `text[0, end)` is a URL scheme: a letter, then letters, digits, `+`, `.` or `-`. */
function isScheme(text: string, end: number): boolean {
  const first = text.charCodeAt(0);
  if (first < 97 || first > 122) return false;
  for (let i = 1; i < end; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 46 || c === 45)) return false;
  }
  return true;
}
