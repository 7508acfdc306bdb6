/**
 * A loaded index and the lookup every answer goes through. The allow list
 * wins over everything; otherwise the most specific domain match, then a URL
 * entry, then an expression decides. Lookups allocate nothing: results go into
 * a {@link Match} the caller keeps.
 */
import { readFile } from 'node:fs/promises';
import { HASH_LO_MASK, hashHost, KEY_FLIP, suffixKeys, type HostHash } from './domain-hash.js';
import { combineExpressions, MAX_MATCH_LENGTH } from '../compile/expressions.js';
import { findInTable, homeScale } from './domain-table.js';
import { decodeIndex, type IndexSections } from './index-format.js';
import type { IndexMeta } from './index-meta.js';
import type { NormalisedUrl } from '../squid/normalise.js';
import { ALLOW_ID } from '../policy/policy.js';
import { UrlTable } from './url-table.js';

/** How an answer was reached. */
export const MATCH_NONE = 0;
export const MATCH_DOMAIN = 1;
export const MATCH_URL = 2;
export const MATCH_EXPRESSION = 3;

/** The outcome of one lookup; reused between lookups. */
export class Match {
  /** Category id, or -1 when nothing matched. `ALLOW_ID` means the allow list let it through. */
  category = -1;
  kind = MATCH_NONE;
  /** Domain match: where the matching suffix starts in the host. URL match: the entry. Expression: its category set. */
  detail = 0;
  /** For a URL match: whether it was the `www`-stripped host that matched. */
  stripped = false;
}

/** The most labels a host name can have (253 characters). */
const MAX_LABELS = 128;

interface ExpressionSet {
  readonly category: number;
  readonly regex: RegExp;
}

export class BlacklistIndex {
  readonly meta: IndexMeta;
  /** Bytes held (the file's size). */
  readonly byteLength: number;
  private readonly domains: Int32Array;
  private readonly domainEntries: number;
  private readonly scale: number;
  private readonly urls: UrlTable;
  private readonly expressionSets: readonly ExpressionSet[];
  private readonly hasAllowDomains: boolean;
  private readonly hasAllowUrls: boolean;
  private readonly his = new Int32Array(MAX_LABELS);
  private readonly los = new Int32Array(MAX_LABELS);
  private readonly starts = new Int32Array(MAX_LABELS);
  private readonly hash: HostHash = { hi: 0, lo: 0 };
  private readonly labelMask: number;
  /** How many suffix hashes the last domain lookup left in `his`/`los`/`starts`. */
  private suffixCount = 0;

  private constructor(sections: IndexSections, byteLength: number) {
    this.meta = sections.meta;
    this.byteLength = byteLength;
    this.domains = sections.domains;
    this.domainEntries = sections.domainCount;
    this.scale = homeScale(sections.homeSlots);
    this.urls = new UrlTable(sections.urls, sections.pathEnds, sections.pathPool);
    const allow = sections.meta.categories.find((c) => c.id === ALLOW_ID);
    this.hasAllowDomains = (allow?.domains ?? 0) > 0;
    this.hasAllowUrls = (allow?.urls ?? 0) > 0;
    const byCategory = new Map<number, string[]>();
    for (const e of sections.meta.expressions) byCategory.set(e.category, [...(byCategory.get(e.category) ?? []), e.source]);
    this.labelMask = sections.meta.labelMask;
    this.expressionSets = [...byCategory.entries()]
      .sort(([a], [b]) => a - b)
      .map(([category, sources]) => ({ category, regex: combineExpressions(sources)! }));
  }

  /** Read an index from a file's contents (checked; BLACKLISTS_ERR_BAD_INDEX when damaged). */
  static fromBuffer(contents: Buffer, file: string): BlacklistIndex {
    return new BlacklistIndex(decodeIndex(contents, file), contents.length);
  }

  /** Load an index file with one read. */
  static async load(file: string): Promise<BlacklistIndex> {
    return BlacklistIndex.fromBuffer(await readFile(file), file);
  }

  /** Domain entries held. */
  get domainCount(): number {
    return this.domainEntries;
  }

  /** Slots of the domain table (what slot numbers range over). */
  get domainSlots(): number {
    return this.domains.length / 2;
  }

  /** URL entries held. */
  get urlCount(): number {
    return this.urls.count;
  }

  /** The entry slot holding this domain hash (unsigned words, as hashHost gives), or -1. */
  findDomain(hi: number, lo: number): number {
    return this.findDomainKey(hi ^ KEY_FLIP, (lo & HASH_LO_MASK) ^ KEY_FLIP);
  }

  /** The slot holding the domain with these keys (see domain-hash.ts), or -1. */
  findDomainKey(hiKey: number, loKey: number): number {
    return findInTable(this.domains, this.scale, hiKey, loKey, (hiKey ^ KEY_FLIP) >>> 0);
  }

  /** The category id of a domain slot. */
  domainCategory(slot: number): number {
    return this.domains[slot * 2]! & 0xff;
  }

  /** The category of the domain `host` itself (no parents), or -1. */
  categoryOfHost(host: string): number {
    const hash = hashHost(host, this.hash);
    const slot = this.findDomain(hash.hi, hash.lo);
    return slot < 0 ? -1 : this.domainCategory(slot);
  }

  /** The path of URL entry `entry` (latin1). */
  urlPath(entry: number): string {
    return this.urls.path(entry);
  }

  /**
   * Look `url` up. `active[id]` is non-zero for categories that block right
   * now (time windows); the allow list always applies. The result lands in `out`.
   */
  match(url: NormalisedUrl, active: Uint8Array, out: Match): void {
    out.category = -1;
    out.kind = MATCH_NONE;
    if (this.matchDomains(url, active, out)) return;
    if (out.category >= 0 && !this.hasAllowUrls) return;
    if (this.urls.count > 0 && this.matchUrls(url, active, out, this.suffixCount)) return;
    if (out.category >= 0 || this.expressionSets.length === 0) return;
    const target = url.strippedHost + url.path;
    const text = target.length > MAX_MATCH_LENGTH ? target.slice(0, MAX_MATCH_LENGTH) : target;
    for (let s = 0; s < this.expressionSets.length; s++) {
      const set = this.expressionSets[s]!;
      if (active[set.category] && set.regex.test(text)) {
        out.category = set.category;
        out.kind = MATCH_EXPRESSION;
        out.detail = s;
        return;
      }
    }
  }

  /** Domain entries for the host and its parents, most specific first; true when the allow list lets it through. */
  private matchDomains(url: NormalisedUrl, active: Uint8Array, out: Match): boolean {
    const his = this.his;
    const los = this.los;
    const starts = this.starts;
    let count: number;
    if (url.isIp) {
      const hash = hashHost(url.host, this.hash);
      his[0] = hash.hi ^ KEY_FLIP;
      los[0] = hash.lo ^ KEY_FLIP;
      starts[0] = 0;
      count = 1;
    } else {
      count = suffixKeys(url.host, his, los, starts);
    }
    this.suffixCount = count;
    const mask = url.isIp ? -1 : this.labelMask;
    for (let k = count - 1; k >= 0; k--) {
      // The k-th suffix (shortest first) has k + 1 labels; skip lengths no entry has.
      if (((mask >>> (k < 30 ? k + 1 : 31)) & 1) === 0) continue;
      const slot = this.findDomainKey(his[k]!, los[k]!);
      if (slot < 0) continue;
      const category = this.domains[slot * 2]! & 0xff;
      if (category === ALLOW_ID) {
        out.category = ALLOW_ID;
        out.kind = MATCH_DOMAIN;
        out.detail = starts[k]!;
        return true;
      }
      if (out.category < 0 && active[category]) {
        out.category = category;
        out.kind = MATCH_DOMAIN;
        out.detail = starts[k]!;
        if (!this.hasAllowDomains) return false;
      }
    }
    return false;
  }

  /**
   * URL entries for the host as written and `www`-stripped; true when allowed
   * by one. Both hashes are already known: they are among the suffix hashes
   * the domain lookup made (the stripped host is a suffix of the host).
   */
  private matchUrls(url: NormalisedUrl, active: Uint8Array, out: Match, suffixes: number): boolean {
    const whole = suffixes - 1;
    let stripped = whole;
    if (url.strippedHost !== url.host) {
      const start = url.host.length - url.strippedHost.length;
      for (let k = whole - 1; k >= 0; k--) {
        if (this.starts[k] === start) {
          stripped = k;
          break;
        }
      }
    }
    if (this.matchUrlHost(this.his[stripped]!, this.los[stripped]!, url.path, active, out, true)) return true;
    return stripped !== whole && this.matchUrlHost(this.his[whole]!, this.los[whole]!, url.path, active, out, false);
  }

  private matchUrlHost(hiKey: number, loKey: number, path: string, active: Uint8Array, out: Match, stripped: boolean): boolean {
    const urls = this.urls;
    const first = urls.first(hiKey, loKey);
    if (first < 0) return false;
    for (let e = first; urls.sameHost(e, hiKey, loKey); e++) {
      if (!urls.pathIsPrefix(e, path)) continue;
      const category = urls.category(e);
      if (category === ALLOW_ID) {
        out.category = ALLOW_ID;
        out.kind = MATCH_URL;
        out.detail = e;
        out.stripped = stripped;
        return true;
      }
      if (active[category] && (out.category < 0 || (out.kind === MATCH_URL && category < out.category))) {
        out.category = category;
        out.kind = MATCH_URL;
        out.detail = e;
        out.stripped = stripped;
      }
    }
    return false;
  }
}
