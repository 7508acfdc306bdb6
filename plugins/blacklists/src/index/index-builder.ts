/**
 * Collects hashed entries while lists are read and lays them out as index
 * sections: domains sorted as 64-bit numbers (one native sort over the same
 * memory), duplicates dropped keeping the category with the lowest id (the
 * allow list, then the school's list, then the configured order), then
 * placed in the domain table (domain-table.ts); URL entries sorted by host.
 * Entries are written as keys (top bits flipped, see domain-hash.ts).
 */
import { HASH_LO_MASK, KEY_FLIP } from './domain-hash.js';
import { placeEntries } from './domain-table.js';
import type { IndexSections } from './index-format.js';
import type { IndexMeta } from './index-meta.js';

/** The counts per category id that made it into the index, after duplicates were dropped. */
export interface BuiltCounts {
  readonly domains: Uint32Array;
  readonly urls: Uint32Array;
  /** Bit n set: some domain entry has n labels (31: 31 or more). */
  readonly labelMask: number;
}

export class IndexBuilder {
  private domainWords: Uint32Array = new Uint32Array(1 << 12);
  private domainCount = 0;
  private urlWords: Uint32Array = new Uint32Array(1 << 10);
  private urlPaths: string[] = [];
  private labelMask = 0;

  /** Add a domain (or IP address) entry by its hash, and how many labels it has. */
  addDomain(hi: number, lo: number, category: number, labels: number): void {
    this.labelMask |= 1 << Math.min(labels, 31);
    if (this.domainCount * 2 === this.domainWords.length) this.domainWords = grow(this.domainWords);
    this.domainWords[this.domainCount * 2] = (lo & HASH_LO_MASK) | category;
    this.domainWords[this.domainCount * 2 + 1] = hi;
    this.domainCount++;
  }

  /** Add a URL entry: the hash of its host, and the path prefix (latin1, `''` for the whole host). */
  addUrl(hi: number, lo: number, category: number, path: string): void {
    const n = this.urlPaths.length;
    if (n * 2 === this.urlWords.length) this.urlWords = grow(this.urlWords);
    this.urlWords[n * 2] = (lo & HASH_LO_MASK) | category;
    this.urlWords[n * 2 + 1] = hi;
    this.urlPaths.push(path);
  }

  get domains(): number {
    return this.domainCount;
  }

  /** Sort, drop duplicates and lay out; `meta` gets the counts through `describe`. */
  build(describe: (counts: BuiltCounts) => IndexMeta): IndexSections {
    const counts: BuiltCounts = { domains: new Uint32Array(256), urls: new Uint32Array(256), labelMask: this.labelMask >>> 0 };
    const sorted = this.sortedDomains(counts.domains);
    const domainCount = sorted.length / 2;
    const { table, homeSlots } = placeEntries(sorted, domainCount);
    const { urls, pathEnds, pathPool } = this.sortedUrls(counts.urls);
    return { meta: describe(counts), domainCount, homeSlots, domains: toKeys(table), urls: toKeys(urls), pathEnds, pathPool };
  }

  private sortedDomains(perCategory: Uint32Array): Uint32Array {
    const words = this.domainWords.subarray(0, this.domainCount * 2);
    // Little-endian pairs (low word first) are u64 values: one native numeric sort, no BigInt per entry.
    new BigUint64Array(words.buffer, words.byteOffset, this.domainCount).sort();
    let kept = 0;
    for (let i = 0; i < this.domainCount; i++) {
      const lo = words[i * 2]!;
      const hi = words[i * 2 + 1]!;
      if (kept > 0 && words[kept * 2 - 1] === hi && ((words[kept * 2 - 2]! ^ lo) & HASH_LO_MASK) === 0) continue;
      words[kept * 2] = lo;
      words[kept * 2 + 1] = hi;
      perCategory[lo & 0xff]!++;
      kept++;
    }
    const result = words.slice(0, kept * 2);
    this.domainWords = new Uint32Array(0);
    return result;
  }

  private sortedUrls(perCategory: Uint32Array): { urls: Uint32Array; pathEnds: Uint32Array; pathPool: Uint8Array } {
    const words = this.urlWords;
    const paths = this.urlPaths;
    const order = Array.from({ length: paths.length }, (_, i) => i);
    order.sort((a, b) => {
      const hiA = words[a * 2 + 1]!;
      const hiB = words[b * 2 + 1]!;
      if (hiA !== hiB) return hiA < hiB ? -1 : 1;
      const loA = words[a * 2]! & HASH_LO_MASK;
      const loB = words[b * 2]! & HASH_LO_MASK;
      if (loA !== loB) return loA >>> 0 < loB >>> 0 ? -1 : 1;
      if (paths[a] !== paths[b]) return paths[a]! < paths[b]! ? -1 : 1;
      return (words[a * 2]! & 0xff) - (words[b * 2]! & 0xff);
    });
    const kept: number[] = [];
    for (const i of order) {
      const last = kept[kept.length - 1];
      if (last !== undefined && words[last * 2 + 1] === words[i * 2 + 1] && ((words[last * 2]! ^ words[i * 2]!) & HASH_LO_MASK) === 0 && paths[last] === paths[i]) continue;
      kept.push(i);
    }
    const urls = new Uint32Array(kept.length * 2);
    const pathEnds = new Uint32Array(kept.length + 1);
    let bytes = 0;
    kept.forEach((i, k) => {
      urls[k * 2] = words[i * 2]!;
      urls[k * 2 + 1] = words[i * 2 + 1]!;
      perCategory[words[i * 2]! & 0xff]!++;
      pathEnds[k] = bytes;
      bytes += paths[i]!.length;
    });
    pathEnds[kept.length] = bytes;
    const pathPool = Buffer.alloc(bytes);
    kept.forEach((i, k) => pathPool.write(paths[i]!, pathEnds[k]!, 'latin1'));
    return { urls, pathEnds, pathPool };
  }
}

/** Flip the top bit of every word, in place: hashes become keys. */
function toKeys(words: Uint32Array): Int32Array {
  for (let i = 0; i < words.length; i++) words[i] = words[i]! ^ KEY_FLIP;
  return new Int32Array(words.buffer, words.byteOffset, words.length);
}

function grow(words: Uint32Array): Uint32Array {
  const bigger = new Uint32Array(words.length * 2);
  bigger.set(words);
  return bigger;
}
