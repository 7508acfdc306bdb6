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

/** A path (and query) that {@link normalisePath} has to rewrite; the query may match too, that only costs the slow way. */
const PATH_NEEDS_WORK = /[%#\\]|\/[./]/;
const WWW_PREFIX = /^(?:www|web|ftp)[0-9]*\./;
const NUMERIC_LABEL = /(?:^|\.)(?:0x[0-9a-f]*|[0-9]+)$/;
const IPV4 = /^(?:\d{1,3}\.){3}\d{1,3}$/;
/** `[::ffff:a01:203]`, as the WHATWG parser writes `[::ffff:10.1.2.3]`. */
const IPV4_MAPPED = /^\[::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})\]$/;

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
  if (((last >= 48 && last <= 57) || host.includes('0x')) && NUMERIC_LABEL.test(host)) return canonicalIp(host);
  return { host, isIp: false };
}

function canonicalIp(host: string): { host: string; isIp: boolean } | null {
  try {
    const parsed = new URL(`http://${host}/`).hostname;
    // An IPv4-mapped IPv6 address reaches the IPv4 host: it is that address.
    const mapped = IPV4_MAPPED.exec(parsed);
    if (mapped) return { host: mappedIpv4(parseInt(mapped[1]!, 16), parseInt(mapped[2]!, 16)), isIp: true };
    if (parsed.charCodeAt(0) === 91 || IPV4.test(parsed)) return { host: parsed, isIp: true };
    // The URL parser may end a name at a `\` and keep its trailing dots ("0..\\0.0" is "0.."): drop them, as
    // every host; nothing but dots is no host.
    const name = parsed.replace(/\.+$/, '');
    return name ? { host: name, isIp: false } : null;
  } catch {
    return host.charCodeAt(0) === 91 ? null : { host, isIp: false };
  }
}

function mappedIpv4(high: number, low: number): string {
  return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
}

/** `host` without squidGuard's `www`/`web`/`ftp` label (digits allowed, e.g. `www2.`). */
export function stripWwwPrefix(host: string): string {
  const first = host.charCodeAt(0);
  if (first !== 119 /* w */ && first !== 102 /* f */) return host;
  const match = WWW_PREFIX.exec(host);
  return match && match[0].length < host.length ? host.slice(match[0].length) : host;
}

/** Schemes whose URLs browsers read with the WHATWG "special" rules: `\\` is `/`, and slashes after the colon are optional. */
const SPECIAL_SCHEMES = ['http', 'https', 'ftp', 'ws', 'wss'];

/**
 * Normalise a URL as squid sends it (`http://host:port/path?query`, or
 * `host:port` for CONNECT), or as a person types it (`example.com/page`).
 * The URL is split first, as a browser splits it (WHATWG URL), and only then
 * are escapes decoded: an escaped `#`, `?` or `/` in the user part never
 * moves the host. Null when it holds no host.
 */
export function normaliseUrl(raw: string): NormalisedUrl | null {
  if (raw.length > MAX_URL_LENGTH) raw = raw.slice(0, MAX_URL_LENGTH);
  // Lower case first: the characters the URL is split on are not letters, and `%2E` and `%2e` are alike.
  const text = asciiLowerCase(raw);
  let special = true;
  let at = 0;
  // What squid sends nearly always starts "http://": skip finding the scheme then.
  const http = text.startsWith('http://');
  const schemeEnd = http ? 4 : schemeLength(text);
  if (schemeEnd > 0) {
    if (http || isSpecialScheme(text, schemeEnd)) {
      // Browsers skip any run of `/` and `\` after a special scheme's colon (`http:\\\\host`, `http:host`).
      at = schemeEnd + 1;
      while (at < text.length && (text.charCodeAt(at) === 47 || text.charCodeAt(at) === 92)) at++;
    } else if (text.charCodeAt(schemeEnd + 1) === 47 && text.charCodeAt(schemeEnd + 2) === 47) {
      at = schemeEnd + 3;
      special = false;
    }
  }

  // One pass over the authority (up to "/", "?", "#", or "\\" for special schemes):
  // where the user part ends (the last "@"), where the port starts, and whether
  // the host needs the slower rules (escapes, international, IP, brackets).
  let authorityEnd = text.length;
  let colon = -1;
  let unusual = false;
  for (let i = at; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // Letters, digits, `.` and `-` (nearly every character of a host) need nothing.
    if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 46 || c === 45) continue;
    if (c === 47 /* / */ || c === 63 /* ? */ || c === 35 /* # */ || (c === 92 /* \ */ && special)) {
      authorityEnd = i;
      break;
    }
    if (c === 64 /* @ */) {
      at = i + 1;
      colon = -1;
      unusual = false;
    } else if (c === 58 /* : */ && colon < 0) {
      colon = i;
    } else if (c > 0x7f || c === 37 /* % */ || c === 91 /* [ */) {
      unusual = true;
    }
  }
  let hostEnd = colon < 0 ? authorityEnd : colon;
  if (text.charCodeAt(at) === 91 /* [ */) {
    const close = text.indexOf(']', at);
    hostEnd = close >= 0 && close < authorityEnd ? close + 1 : authorityEnd;
  }
  const last = text.charCodeAt(hostEnd - 1);
  // Digits last (an IP address?) or a trailing dot take the full host rules too.
  if (last === 46 || (last >= 48 && last <= 57) || hostEnd <= at) unusual = true;
  const rawHost = text.slice(at, hostEnd);
  const host = unusual ? normaliseHost(rawHost.includes('%') ? decodedHost(rawHost) : rawHost) : plainHost(rawHost);
  if (!host) return null;
  return {
    host: host.host,
    strippedHost: host.isIp ? host.host : stripWwwPrefix(host.host),
    path: normalisePath(text, authorityEnd, special),
    isIp: host.isIp,
  };
}

/**
 * The path and query of `text` from `start` (lower-cased already): the
 * fragment dropped, `\\` read as `/` (special schemes), escapes decoded once,
 * repeated slashes collapsed and dot segments resolved (RFC 3986
 * `remove_dot_segments`), so `/a/../b` and `/a/%2e%2e/b` are `/b`, as the
 * origin serves them. The query is only decoded.
 */
function normalisePath(text: string, start: number, special: boolean): string {
  if (start >= text.length) return '';
  const tail = text.slice(start);
  // The common case: nothing to rewrite (no fragment, escape, backslash, repeated slash or dot segment).
  if (!PATH_NEEDS_WORK.test(tail)) return tail.charCodeAt(0) === 63 /* ? */ ? `/${tail}` : tail;
  let end = text.indexOf('#', start);
  if (end < 0) end = text.length;
  let queryStart = text.indexOf('?', start);
  if (queryStart < 0 || queryStart > end) queryStart = end;
  let path = text.slice(start, queryStart);
  let query = queryStart < end ? text.slice(queryStart, end) : '';
  if (special && path.includes('\\')) path = path.replace(/\\/g, '/');
  if (path.includes('%')) path = decodeLowerCase(path);
  if (query.includes('%')) query = decodeLowerCase(query);
  path = removeDotSegments(collapseSlashes(path));
  if (!path && query) path = '/';
  return path + query;
}

/**
 * A host with escapes, decoded. Browsers refuse a host whose escapes spell
 * `:`, `/`, `?`, `#` or `\\`; it is read up to that character, so
 * `blocked.example%3A80` is still `blocked.example`.
 */
function decodedHost(rawHost: string): string {
  const host = decodeLowerCase(rawHost);
  if (host.charCodeAt(0) === 91 /* [ */) return host;
  const cut = host.search(/[:/?#\\]/);
  return cut < 0 ? host : host.slice(0, cut);
}

/** Decode escapes, and lower-case what they spell (`%41` is `a`, as matching is without case). */
function decodeLowerCase(text: string): string {
  return asciiLowerCase(percentDecode(text));
}

/** Collapse runs of `/`, as squidGuard does against `//` bypasses. */
function collapseSlashes(path: string): string {
  return path.includes('//') ? path.replace(/\/{2,}/g, '/') : path;
}

/** RFC 3986 section 5.2.4 on a path without its query: `.` segments go, `..` removes the segment before. */
function removeDotSegments(path: string): string {
  if ((path.charCodeAt(0) !== 46 && !path.includes('/.')) || !/(?:^|\/)\.\.?(?:\/|$)/.test(path)) return path;
  const absolute = path.charCodeAt(0) === 47;
  const segments = (absolute ? path.slice(1) : path).split('/');
  const out: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const lastSegment = i === segments.length - 1;
    if (segment === '.' || segment === '..') {
      if (segment === '..') out.pop();
      // A dot segment at the end leaves a directory: `/a/b/..` is `/a/`.
      if (lastSegment) out.push('');
    } else {
      out.push(segment);
    }
  }
  return (absolute ? '/' : '') + out.join('/');
}

/** A host that needs none of the slower rules (or an `0x` spelling of an IP address, which still does). */
function plainHost(host: string): { host: string; isIp: boolean } | null {
  return host.includes('0x') ? normaliseHost(host) : { host, isIp: false };
}

/** `text` starts with a special scheme `schemeEnd` characters long (compared in place: this runs for every request). */
function isSpecialScheme(text: string, schemeEnd: number): boolean {
  for (const scheme of SPECIAL_SCHEMES) if (scheme.length === schemeEnd && text.startsWith(scheme)) return true;
  return false;
}

/** The length of the URL scheme `text` starts with (a letter, then letters, digits, `+`, `.` or `-`, then `:`), or 0. */
function schemeLength(text: string): number {
  const first = text.charCodeAt(0);
  if (first < 97 || first > 122) return 0;
  for (let i = 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 58 /* : */) return i;
    if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 46 || c === 45)) return 0;
  }
  return 0;
}
