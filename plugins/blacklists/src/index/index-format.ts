/**
 * The compiled index file: one flat little-endian file that is used as it
 * lies, read with a single readFile and looked at through typed-array views;
 * nothing is parsed per entry, so 5 million domains load in milliseconds.
 *
 * ```
 *  0  "SUGARBL1"                     magic
 *  8  u32 version                    1
 * 12  u32 0x01020304                 byte-order mark
 * 16  u32 metaBytes, u32 slots, u32 domainCount, u32 urlCount, u32 pathBytes, u32 home slots
 * 40  sha256 of everything from 72 on
 * 72  meta (JSON)                    categories, policy, counts, garbage report, expressions
 *     domains   slots × u64          the domain table (see domain-table.ts): hash bits 63..8,
 *                                    category id in bits 7..0, or an empty slot (id 255)
 *     urls      urlCount × u64       sorted by the host's hash, bits as in the domain table
 *     pathEnds  (urlCount+1) × u32   path i is pathPool[pathEnds[i], pathEnds[i+1])
 *     pathPool  pathBytes            URL paths, latin1
 * ```
 * Every section starts on an 8-byte boundary. A u64 is stored as two 32-bit
 * words, low then high, each with its top bit flipped (a key, see
 * domain-hash.ts), so lookups compare plain signed numbers (no BigInt, no
 * heap numbers).
 */
import { createHash } from 'node:crypto';
import { endianness } from 'node:os';
import { BlacklistsErrors } from '../errors.js';
import type { IndexMeta } from './index-meta.js';

const MAGIC = Buffer.from('SUGARBL1', 'latin1');
const VERSION = 1;
const BYTE_ORDER_MARK = 0x01020304;
const HEADER_BYTES = 72;
const DIGEST_AT = 40;

/** The sections of an index, as the builder makes them and the reader sees them. */
export interface IndexSections {
  readonly meta: IndexMeta;
  /** Domains held (the table has more slots, some empty). */
  readonly domainCount: number;
  /** Slots a hash can call home (the table's length less its overflow). */
  readonly homeSlots: number;
  /** Two keys per slot: low (24 hash bits and the category), then high. */
  readonly domains: Int32Array;
  /** Two keys per URL entry, as `domains`. */
  readonly urls: Int32Array;
  readonly pathEnds: Uint32Array;
  readonly pathPool: Uint8Array;
}

const pad8 = (n: number) => (n + 7) & ~7;

/** Lay the sections out as file contents (a list of chunks to write in order). */
export function encodeIndex(sections: IndexSections): Buffer[] {
  assertLittleEndian();
  const meta = Buffer.from(JSON.stringify(sections.meta), 'utf8');
  const body = [
    padded(meta),
    bytesOf(sections.domains),
    bytesOf(sections.urls),
    padded(bytesOf(sections.pathEnds)),
    padded(Buffer.from(sections.pathPool.buffer, sections.pathPool.byteOffset, sections.pathPool.byteLength)),
  ];
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt32LE(VERSION, 8);
  header.writeUInt32LE(BYTE_ORDER_MARK, 12);
  header.writeUInt32LE(meta.length, 16);
  header.writeUInt32LE(sections.domains.length / 2, 20);
  header.writeUInt32LE(sections.domainCount, 24);
  header.writeUInt32LE(sections.urls.length / 2, 28);
  header.writeUInt32LE(sections.pathPool.byteLength, 32);
  header.writeUInt32LE(sections.homeSlots, 36);
  const digest = createHash('sha256');
  for (const chunk of body) digest.update(chunk);
  digest.digest().copy(header, DIGEST_AT);
  return [header, ...body];
}

/** Read an index from its file contents; throws BLACKLISTS_ERR_BAD_INDEX naming `file` when anything is off. */
export function decodeIndex(contents: Buffer, file: string): IndexSections {
  assertLittleEndian();
  const bad = (why: string) => BlacklistsErrors.BAD_INDEX(file, why);
  if (contents.length < HEADER_BYTES || !contents.subarray(0, 8).equals(MAGIC)) throw bad('not a sugar-server blacklists index');
  if (contents.readUInt32LE(8) !== VERSION) throw bad(`format version ${contents.readUInt32LE(8)}, this server reads ${VERSION}: recompile`);
  if (contents.readUInt32LE(12) !== BYTE_ORDER_MARK) throw bad('written on a machine with another byte order: recompile');
  // Typed-array views need aligned memory; a buffer from a pool may not be.
  const data = contents.byteOffset % 8 === 0 ? contents : Buffer.from(contents);
  const metaBytes = data.readUInt32LE(16);
  const slots = data.readUInt32LE(20);
  const domainCount = data.readUInt32LE(24);
  const urlCount = data.readUInt32LE(28);
  const pathBytes = data.readUInt32LE(32);
  const homeSlots = data.readUInt32LE(36);
  if (homeSlots < 1 || homeSlots >= slots || domainCount > homeSlots) throw bad(`a table of ${slots} slots cannot hold ${domainCount} domains in ${homeSlots}`);
  const expected = HEADER_BYTES + pad8(metaBytes) + slots * 8 + urlCount * 8 + pad8((urlCount + 1) * 4) + pad8(pathBytes);
  if (data.length !== expected) throw bad(`${data.length} bytes where the header promises ${expected} (truncated or damaged)`);
  const digest = createHash('sha256').update(data.subarray(HEADER_BYTES)).digest();
  if (!digest.equals(data.subarray(DIGEST_AT, DIGEST_AT + 32))) throw bad('checksum mismatch (damaged)');

  let at = HEADER_BYTES;
  const take = (bytes: number) => {
    const start = at;
    at += pad8(bytes);
    return data.byteOffset + start;
  };
  let meta: IndexMeta;
  try {
    meta = JSON.parse(data.toString('utf8', HEADER_BYTES, HEADER_BYTES + metaBytes)) as IndexMeta;
  } catch {
    throw bad('its description is not JSON');
  }
  take(metaBytes);
  const buffer = data.buffer;
  const domains = new Int32Array(buffer, take(slots * 8), slots * 2);
  const urls = new Int32Array(buffer, take(urlCount * 8), urlCount * 2);
  const pathEnds = new Uint32Array(buffer, take((urlCount + 1) * 4), urlCount + 1);
  const pathPool = new Uint8Array(buffer, take(pathBytes), pathBytes);
  if (pathEnds[urlCount] !== pathBytes) throw bad('inconsistent sections');
  return { meta, domainCount, homeSlots, domains, urls, pathEnds, pathPool };
}

function bytesOf(words: Uint32Array | Int32Array): Buffer {
  return Buffer.from(words.buffer, words.byteOffset, words.byteLength);
}

function padded(chunk: Buffer): Buffer {
  const extra = pad8(chunk.length) - chunk.length;
  return extra ? Buffer.concat([chunk, Buffer.alloc(extra)]) : chunk;
}

function assertLittleEndian(): void {
  if (endianness() !== 'LE') throw BlacklistsErrors.BAD_INDEX('(any)', 'index files are little-endian and this machine is not');
}
