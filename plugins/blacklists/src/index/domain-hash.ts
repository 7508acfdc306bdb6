/**
 * 56-bit hashes of host names, computed from the last character to the first,
 * so that one pass over `www.example.com` yields the hash of `com`, of
 * `example.com` and of `www.example.com`: every parent domain a lookup needs.
 *
 * Two 32-bit lanes (FNV-1a and a multiply-rotate lane) are finished with
 * murmur3's avalanche. The index keeps the first lane whole (`hi`) and the top
 * 24 bits of the second (`lo`); the low byte of `lo` is left for the category.
 * String and byte versions compute the same values (the compiler reads bytes,
 * lookups read strings).
 *
 * Lookups work on keys: the same two words with the top bit flipped, as
 * signed 32-bit numbers. Signed comparison of keys orders them as the
 * unsigned hashes, and V8 keeps 32-bit signed values unboxed, where unsigned
 * ones above 2^31 become heap numbers (that made lookups several times slower).
 */

/** Where the category byte goes; the other 24 bits of `lo` are hash. */
export const HASH_LO_MASK = 0xffffff00;
/** Flips an unsigned hash word into a key (and back). */
export const KEY_FLIP = 0x80000000;

const FNV_SEED = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const LANE_SEED = 0x3c6ef372;
const LANE_PRIME = 0x85ebca6b;

/** A finished hash: `hi` and `lo` (unsigned from hashHost, signed inside), `lo`'s low byte zero. */
export interface HostHash {
  hi: number;
  lo: number;
}

function avalanche(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

/** Finish two lanes after `length` characters into `out` (as signed words; callers make them unsigned or keys). */
function finish(a: number, b: number, length: number, out: HostHash): void {
  const hi = avalanche(a ^ length);
  out.hi = hi;
  out.lo = avalanche(b ^ Math.imul(length, 0x9e3779b1) ^ hi) & HASH_LO_MASK;
}

/**
 * Keys of every dot-separated suffix of `host`, shortest first. Writes them
 * into `his`/`los` (and where each suffix starts into `starts`), and returns
 * how many there are (at most the arrays' length; a longer name keeps only
 * its shortest suffixes and the whole name is always last). `host` must
 * already be lower case.
 */
export function suffixKeys(host: string, his: Int32Array, los: Int32Array, starts: Int32Array): number {
  const capacity = his.length;
  let a = FNV_SEED;
  let b = LANE_SEED;
  let count = 0;
  const out = scratch;
  for (let i = host.length - 1; i >= 0; i--) {
    const c = host.charCodeAt(i);
    if (c === 46 /* . */ && i < host.length - 1 && count < capacity - 1) {
      finish(a, b, host.length - 1 - i, out);
      his[count] = out.hi ^ KEY_FLIP;
      los[count] = out.lo ^ KEY_FLIP;
      starts[count] = i + 1;
      count++;
    }
    a = Math.imul(a ^ c, FNV_PRIME);
    b = Math.imul(b ^ c, LANE_PRIME);
    b = (b << 15) | (b >>> 17);
  }
  finish(a, b, host.length, out);
  his[count] = out.hi ^ KEY_FLIP;
  los[count] = out.lo ^ KEY_FLIP;
  starts[count] = 0;
  return count + 1;
}

const scratch: HostHash = { hi: 0, lo: 0 };

/** The hash of a whole (lower-case) host name, as unsigned words. */
export function hashHost(host: string, out: HostHash = { hi: 0, lo: 0 }): HostHash {
  let a = FNV_SEED;
  let b = LANE_SEED;
  for (let i = host.length - 1; i >= 0; i--) {
    const c = host.charCodeAt(i);
    a = Math.imul(a ^ c, FNV_PRIME);
    b = Math.imul(b ^ c, LANE_PRIME);
    b = (b << 15) | (b >>> 17);
  }
  finish(a, b, host.length, out);
  out.hi >>>= 0;
  out.lo >>>= 0;
  return out;
}

/** The hash of `bytes[start, end)` as unsigned words, ASCII upper case folded to lower case on the way. */
export function hashHostBytes(bytes: Uint8Array, start: number, end: number, out: HostHash): HostHash {
  let a = FNV_SEED;
  let b = LANE_SEED;
  for (let i = end - 1; i >= start; i--) {
    let c = bytes[i]!;
    if (c >= 65 && c <= 90) c |= 32;
    a = Math.imul(a ^ c, FNV_PRIME);
    b = Math.imul(b ^ c, LANE_PRIME);
    b = (b << 15) | (b >>> 17);
  }
  finish(a, b, end - start, out);
  out.hi >>>= 0;
  out.lo >>>= 0;
  return out;
}
