/**
 * The URL entries of an index: keys of their hosts' hashes, sorted, with the
 * path prefix of each in a byte pool. At load it gets two small helpers of
 * its own: a bit filter of the hosts that have entries (most hosts have none
 * and skip the search) and a bucket table, so a search reads a handful of
 * entries.
 */
import { HASH_LO_MASK, KEY_FLIP } from './domain-hash.js';

/** Bits in the host filter: 2^21 bits, 256 KiB. */
const FILTER_BITS = 21;
/** Entries per bucket the bucket table aims at. */
const PER_BUCKET = 8;

export class UrlTable {
  private readonly filter: Uint32Array;
  private readonly buckets: Uint32Array;
  private readonly shift: number;

  constructor(
    private readonly keys: Int32Array,
    private readonly pathEnds: Uint32Array,
    private readonly pathPool: Uint8Array,
  ) {
    this.filter = new Uint32Array(2 ** (FILTER_BITS - 5));
    for (let e = 0; e < this.count; e++) {
      const bit = (keys[e * 2 + 1]! ^ KEY_FLIP) >>> (32 - FILTER_BITS);
      this.filter[bit >>> 5]! |= 1 << (bit & 31);
    }
    const bits = Math.min(24, Math.max(1, Math.ceil(Math.log2(Math.max(this.count, 1) / PER_BUCKET))));
    this.shift = 32 - bits;
    this.buckets = new Uint32Array(2 ** bits + 1);
    let entry = 0;
    for (let b = 0; b < this.buckets.length - 1; b++) {
      while (entry < this.count && (keys[entry * 2 + 1]! ^ KEY_FLIP) >>> this.shift < b) entry++;
      this.buckets[b] = entry;
    }
    this.buckets[this.buckets.length - 1] = this.count;
  }

  /** Entries held. */
  get count(): number {
    return this.keys.length / 2;
  }

  /** The first entry for the host with these keys, or -1; its others follow it (see {@link sameHost}). */
  first(hiKey: number, loKey: number): number {
    const unsigned = (hiKey ^ KEY_FLIP) >>> 0;
    const bit = unsigned >>> (32 - FILTER_BITS);
    if ((this.filter[bit >>> 5]! & (1 << (bit & 31))) === 0) return -1;
    const keys = this.keys;
    const bucket = unsigned >>> this.shift;
    let low = this.buckets[bucket]!;
    let high = this.buckets[bucket + 1]!;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const midHi = keys[mid * 2 + 1]!;
      if (midHi < hiKey || (midHi === hiKey && (keys[mid * 2]! & HASH_LO_MASK) < loKey)) low = mid + 1;
      else high = mid;
    }
    return this.sameHost(low, hiKey, loKey) ? low : -1;
  }

  /** Entry `entry` exists and belongs to the host with these keys. */
  sameHost(entry: number, hiKey: number, loKey: number): boolean {
    return entry < this.count && this.keys[entry * 2 + 1] === hiKey && (this.keys[entry * 2]! & HASH_LO_MASK) === loKey;
  }

  category(entry: number): number {
    return this.keys[entry * 2]! & 0xff;
  }

  /** The entry's path is a prefix of `path` (both latin1). */
  pathIsPrefix(entry: number, path: string): boolean {
    const start = this.pathEnds[entry]!;
    const length = this.pathEnds[entry + 1]! - start;
    if (length > path.length) return false;
    const pool = this.pathPool;
    for (let i = 0; i < length; i++) if (pool[start + i] !== path.charCodeAt(i)) return false;
    return true;
  }

  /** The entry's path. */
  path(entry: number): string {
    const start = this.pathEnds[entry]!;
    return Buffer.from(this.pathPool.buffer, this.pathPool.byteOffset + start, this.pathEnds[entry + 1]! - start).toString('latin1');
  }
}
