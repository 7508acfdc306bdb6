/**
 * squidGuard 1.6's decisions, reproduced step by step from its source
 * (`parseLine` in sgDiv.c, `defined` and `domainCompare` in sgDb.c as of
 * 1.5, `sgAclAccess` in sg.y), so that the differential suite can say, for each
 * URL where squidGuard and sugar-server disagree, which of squidGuard's
 * behaviours made the difference. The suite first checks this model against
 * the real squidGuard on every URL it sends.
 *
 * Each behaviour where sugar-server differs on purpose can be switched to
 * sugar-server's rule; a difference is explained when switching some of
 * them makes the model agree with sugar-server.
 */
import { readFileSync } from 'node:fs';

/** squidGuard behaviours that sugar-server replaces (README: "Differences from squidGuard"). */
export interface Quirks {
  /** Domain lookups look only at the nearest key of the sorted database (and compare its start forwards). */
  readonly nearestDomainKey: boolean;
  /** URL lookups look only at the nearest key. */
  readonly nearestUrlKey: boolean;
  /** The un-stripped URL (`furl`) keeps its port. */
  readonly portInFullUrl: boolean;
  /** A URL entry matches as a plain string prefix, across the end of the host name. */
  readonly urlStringPrefix: boolean;
  /** Escapes are decoded before the URL is split, `\\` is no separator, and the first `@` ends the user part. */
  readonly decodeBeforeSplit: boolean;
  /** Dot segments (`/../`, `/./`) stay in the path. */
  readonly dotSegmentsKept: boolean;
}

export const SQUIDGUARD: Quirks = {
  nearestDomainKey: true,
  nearestUrlKey: true,
  portInFullUrl: true,
  urlStringPrefix: true,
  decodeBeforeSplit: true,
  dotSegmentsKept: true,
};
export const QUIRK_NAMES = Object.keys(SQUIDGUARD) as (keyof Quirks)[];

/** One `dest` of squidGuard.conf, in `pass` order. */
export interface ModelDest {
  readonly name: string;
  /** `white` passes on a match; the others block. */
  readonly pass: boolean;
  readonly domains?: string;
  readonly urls?: string;
  /** JavaScript patterns standing in for the expressions squidGuard compiles (same meaning for the ones used). */
  readonly expressions?: readonly RegExp[];
}

interface LoadedDest {
  readonly dest: ModelDest;
  readonly domainKeys: string[] | null;
  readonly urlKeys: string[] | null;
}

export type ModelDecision = { readonly kind: 'pass' } | { readonly kind: 'block'; readonly dest: string } | { readonly kind: 'broken' };

export class SquidGuardModel {
  private readonly dests: LoadedDest[];

  constructor(dests: readonly ModelDest[]) {
    this.dests = dests.map((dest) => ({
      dest,
      domainKeys: dest.domains ? loadKeys(dest.domains, 'domain').sort(domainCompare) : null,
      urlKeys: dest.urls ? loadKeys(dest.urls, 'url').sort(memcmp) : null,
    }));
  }

  /** The decision for one squid line (`URL ip/fqdn ident method`). */
  decide(line: string, quirks: Quirks = SQUIDGUARD): ModelDecision {
    const request = parseLine(line, quirks);
    if (!request) return { kind: 'broken' };
    for (const { dest, domainKeys, urlKeys } of this.dests) {
      if (domainKeys && definedDomain(domainKeys, request.domain, quirks)) return decision(dest);
      if (urlKeys && (definedUrl(urlKeys, request.surl, quirks) || definedUrl(urlKeys, request.furl, quirks))) return decision(dest);
      if (dest.expressions?.some((re) => re.test(request.surl))) return decision(dest);
    }
    return { kind: 'pass' };
  }
}

function decision(dest: ModelDest): ModelDecision {
  return dest.pass ? { kind: 'pass' } : { kind: 'block', dest: dest.name };
}

/** sgDbLoadTextFile: skip `#` lines, strip CR, drop a leading +/-, first word, lower case; `.` in front of domains; sgStripUrl for URLs. */
function loadKeys(file: string, kind: 'domain' | 'url'): string[] {
  const keys = new Set<string>();
  for (let line of readFileSync(file, 'latin1').split('\n')) {
    if (line.startsWith('#')) continue;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.startsWith('+') || line.startsWith('-')) line = line.slice(1);
    const word = line.split(/[ \t]/).find((w) => w !== '');
    if (!word) continue;
    const key = lower(word);
    keys.add(kind === 'domain' ? `.${key}` : key.startsWith('.') ? key : stripUrl(key));
  }
  return [...keys];
}

/** sgStripUrl: drop user@ and :port in front of the path. */
function stripUrl(url: string): string {
  const slash = url.indexOf('/');
  let p = 0;
  const at = url.indexOf('@');
  if (at >= 0 && (slash < 0 || at < slash)) p = at + 1;
  const colon = url.indexOf(':', p);
  const end = colon >= 0 && (slash < 0 || colon < slash) ? colon : slash;
  return (end < 0 ? url.slice(p) : url.slice(p, end)) + (slash >= 0 ? url.slice(slash) : '');
}

function lower(text: string): string {
  return text.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** parseLine: the domain, the www-stripped URL (`surl`) and the full one (`furl`) squidGuard matches. */
function parseLine(line: string, quirks: Quirks): { domain: string; surl: string; furl: string } | null {
  const fields = line.split(/[ \t]+/).filter(Boolean);
  if (fields.length < 4) return null;
  let field = lower(unescape(quirks.decodeBeforeSplit ? fields[0]! : splitLikeBrowsers(fields[0]!)));
  let p = 0;
  const scheme = field.indexOf('://');
  if (scheme >= 0) {
    p = scheme + 3;
    if (!quirks.dotSegmentsKept) field = field.slice(0, p) + resolveDotSegments(field.slice(p));
    field = field.slice(0, p) + collapse(field.slice(p));
  }
  const d = field.indexOf('/', p);
  let e = d;
  const at = field.indexOf('@', p);
  if (at >= 0 && (d < 0 || at < d)) p = at + 1;
  const colon = field.indexOf(':', p);
  if (colon >= 0 && (d < 0 || colon < d)) e = colon;
  const o = p;
  let q = p;
  if (/^(www|web|ftp)/.test(field.slice(p))) {
    q = p + 3;
    while (/[0-9]/.test(field[q] ?? '')) q++;
    q = field[q] === '.' ? q + 1 : o;
  }
  const domain = e < 0 ? field.slice(o) : field.slice(o, e);
  const surl = (e < 0 ? field.slice(q) : field.slice(q, e)) + (d >= 0 ? field.slice(d) : '');
  const furl = quirks.portInFullUrl ? field.slice(o) : (e < 0 ? field.slice(o) : field.slice(o, e)) + (d >= 0 ? field.slice(d) : '');
  return domain ? { domain, surl, furl } : null;
}

/** HTUnEscape: every `%XX` decoded once. */
function unescape(text: string): string {
  return text.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/**
 * sugar-server's split, as browsers make it: the authority ends at the first
 * `/`, `\\`, `?` or `#`, the user part at its last `@`; `\\` in the path is
 * `/`. Written back as `scheme://host:port/path` for parseLine to read.
 */
function splitLikeBrowsers(url: string): string {
  const scheme = url.indexOf('://');
  const start = scheme < 0 ? 0 : scheme + 3;
  let end = url.slice(start).search(/[/\\?#]/);
  end = end < 0 ? url.length : start + end;
  const host = url.slice(url.lastIndexOf('@', end - 1) + 1 || start, end);
  const rest = url.slice(end);
  const query = rest.search(/[?#]/);
  const path = query < 0 ? rest : rest.slice(0, query);
  return `${url.slice(0, start)}${host}${path.replace(/\\/g, '/')}${query < 0 ? '' : rest.slice(query)}`;
}

/** RFC 3986 remove_dot_segments on the path of `host/path?query`, once its repeated slashes are collapsed. */
function resolveDotSegments(text: string): string {
  const slash = text.indexOf('/');
  if (slash < 0) return text;
  const query = text.indexOf('?', slash);
  const path = (query < 0 ? text.slice(slash) : text.slice(slash, query)).replace(/\/{2,}/g, '/');
  const out: string[] = [];
  const segments = path.slice(1).split('/');
  segments.forEach((segment, i) => {
    if (segment === '.' || segment === '..') {
      if (segment === '..') out.pop();
      if (i === segments.length - 1) out.push('');
    } else out.push(segment);
  });
  return `${text.slice(0, slash)}/${out.join('/')}${query < 0 ? '' : text.slice(query)}`;
}

/** The loop after "://": collapse "//" and drop the first "./", up to the query. */
function collapse(text: string): string {
  const chars = [...text];
  const size = chars.length;
  let dotRemoved = false;
  let i = 0;
  while (i < chars.length && chars[i] !== '?') {
    if (size - i >= 3 && chars[i] === ':' && chars[i + 1] === '/' && chars[i + 2] === '/' && chars[i + 3] !== undefined) i += 3;
    if (chars[i] === '/' && chars[i + 1] === '/') chars.splice(i, 1);
    else if (chars[i] === '.' && chars[i + 1] === '/' && !dotRemoved) {
      chars.splice(i, 1);
      dotRemoved = true;
    } else i++;
  }
  return chars.join('');
}

/** domainCompare: compare from the last character, "." lowest, a string before any longer one it ends. */
export function domainCompare(a: string, b: string): number {
  let i = a.length - 1;
  let j = b.length - 1;
  while (a.charCodeAt(i) === b.charCodeAt(j)) {
    if (j === 0 || i === 0) break;
    i--;
    j--;
  }
  const ac = a[i] === '.' ? 1 : a.charCodeAt(i);
  const bc = b[j] === '.' ? 1 : b.charCodeAt(j);
  if (i === 0 && j === 0) return ac - bc;
  if (i === 0) return -1;
  if (j === 0) return 1;
  return ac - bc;
}

function memcmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The first key not below `request` (DB_SET_RANGE). */
function lowerBound(keys: readonly string[], request: string, compare: (a: string, b: string) => number): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compare(keys[mid]!, request) < 0) low = mid + 1;
    else high = mid;
  }
  return low;
}

function strncmp(a: string, b: string, n: number): number {
  for (let i = 0; i < n; i++) {
    const ca = i < a.length ? a.charCodeAt(i) : 0;
    const cb = i < b.length ? b.charCodeAt(i) : 0;
    if (ca !== cb || ca === 0) return ca - cb;
  }
  return 0;
}

/** sgStrRncmp: compare `blen` characters from the ends; 0 when `b` ends with `a` (from its NUL on). */
function strRncmp(a: string, b: string, length: number): number {
  const at = (s: string, k: number) => (k === s.length ? 0 : s.charCodeAt(k));
  let i = a.length;
  let j = b.length;
  let blen = length;
  while (at(a, i) === at(b, j) && blen > 0) {
    if (j === 0 || i === 0) break;
    i--;
    j--;
    blen--;
  }
  if (i === 0 && j === 0) return at(a, i) - at(b, j);
  if (blen === 0) return at(a, i) - at(b, j);
  if (i === 0) return -1;
  if (j === 0) return 1;
  return at(a, i) - at(b, j);
}

/** defined() on a domain list, or the plain rule: the host or one of its parents is listed. */
function definedDomain(keys: readonly string[], domain: string, quirks: Quirks): boolean {
  const request = `.${domain}`;
  if (!quirks.nearestDomainKey) return keys.some((key) => request === key || request.endsWith(key));
  const found = lowerBound(keys, request, domainCompare);
  if (found < keys.length) {
    const data = keys[found]!;
    if (strncmp(request, data, data.length) === 0) return true;
    // The key before counts only if the key found does not itself end with it.
    const previous = keys[found - 1];
    return previous !== undefined && strRncmp(data, previous, previous.length) !== 0 && strRncmp(previous, request, previous.length) === 0;
  }
  const last = keys[keys.length - 1];
  return last !== undefined && strRncmp(last, request, last.length) === 0;
}

/** defined() on a URL list, or the plain rule: some entry's host is the URL's and its path a prefix. */
function definedUrl(keys: readonly string[], url: string, quirks: Quirks): boolean {
  const prefix = (key: string) => (quirks.urlStringPrefix ? strncmp(key, url, key.length) === 0 : sameHostPathPrefix(key, url));
  if (!quirks.nearestUrlKey) return keys.some(prefix);
  const found = lowerBound(keys, url, memcmp);
  if (found < keys.length) {
    const data = keys[found]!;
    if (strncmp(url, data, data.length) === 0) return true;
    // The key before counts only if the key found does not itself start with it.
    const previous = keys[found - 1];
    return previous !== undefined && strncmp(data, previous, previous.length) !== 0 && prefix(previous);
  }
  const last = keys[keys.length - 1];
  return last !== undefined && prefix(last);
}

function sameHostPathPrefix(key: string, url: string): boolean {
  const keySlash = key.indexOf('/');
  const urlSlash = url.indexOf('/');
  const keyHost = keySlash < 0 ? key : key.slice(0, keySlash);
  const urlHost = urlSlash < 0 ? url : url.slice(0, urlSlash);
  return keyHost === urlHost && url.startsWith(key);
}
