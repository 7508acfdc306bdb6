/**
 * One snapshot to the bucket: hash its files in the pool, send each content
 * the bucket does not hold yet (small files gathered into packs, large ones as
 * objects of their own; compressed when they shrink; several at once, paced,
 * retried), then write its
 * manifest only if absent, once every pack and object it names is
 * acknowledged. Progress survives a crash: every acknowledged pack's blobs and
 * every object are in the index, so a restarted pass sends only the rest.
 */
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Bucket } from './bucket.js';
import { COMPRESS_BELOW, encodeStream, worthCompressingFile, type Encoding } from './encoding.js';
import type { FileDigest, HashedFile, HashPool } from './hash-pool.js';
import { manifestKey, objectKey, PACK_BELOW } from './layout.js';
import { encodeManifest, MANIFEST_VERSION, rootOf, type FoundEntry, type Manifest, type ManifestEntry } from './manifest.js';
import type { ObjectIndex, Placement } from './object-index.js';
import { PackWriter } from './pack-writer.js';
import { withRetries } from './retry.js';
import type { Sealing } from './sealing.js';
import type { Throttle } from './throttle.js';

export interface UploadDeps {
  readonly bucket: Bucket;
  readonly index: ObjectIndex;
  readonly hashes: HashPool;
  readonly sealing: Sealing;
  readonly throttle: Throttle;
  readonly concurrency: number;
  /**
   * Digests by inode (device, number, size, times): snapshots are hard-link
   * copies, so a file unchanged since the last snapshot is the same inode and
   * is not read again.
   */
  readonly digests: DigestCache;
  /**
   * Content being sent in this pass, by object name: where it will be. Shared
   * by the snapshots sent at once, so a file two laptops hold goes up once.
   */
  readonly inFlight: Map<string, Promise<Placement>>;
  /** Throws to stop before the next object or pack (outside the replication window). */
  checkWindow(): void;
  onRetry(err: unknown, attempt: number): void;
}

/** Digests of files already hashed, by inode; the least recently added go first past `limit`. */
export class DigestCache {
  private readonly known = new Map<string, FileDigest>();

  constructor(private readonly limit = 1_000_000) {}

  get(inode: string): FileDigest | undefined {
    return this.known.get(inode);
  }

  set(inode: string, digest: FileDigest): void {
    this.known.delete(inode);
    this.known.set(inode, digest);
    if (this.known.size > this.limit) this.known.delete(this.known.keys().next().value!);
  }
}

/** What one snapshot's upload did. */
export interface UploadCounts {
  files: number;
  bytes: number;
  /** Objects written to the bucket: packs, and large files' own objects. */
  sentObjects: number;
  /** Files whose bytes were sent, and their plain bytes. */
  sentFiles: number;
  sentBytes: number;
  /** Files whose content the bucket already held, or another file of the pass was carrying. */
  skipped: number;
  /** False when the manifest was already there (a crash after writing it, before recording it). */
  manifestWritten: boolean;
}

type FoundFile = Extract<FoundEntry, { type: 'file' }>;

/** Files hashed together: enough for every thread to read a batch, few enough to hold their bytes. */
const CHUNK_FILES = 256;
const CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * The indices of files in `found`, in chunks of at most CHUNK_FILES files or
 * about CHUNK_BYTES of what hashing may hand back (a file's bytes up to
 * `keptBelow`); `isFile` says which are.
 */
function chunksOf(found: readonly FoundEntry[], keptBelow: number, isFile: (at: number) => boolean): number[][] {
  const chunks: number[][] = [];
  let chunk: number[] = [];
  let bytes = 0;
  for (let at = 0; at < found.length; at++) {
    if (!isFile(at)) continue;
    chunk.push(at);
    bytes += Math.min((found[at] as FoundFile).size, keptBelow);
    if (chunk.length >= CHUNK_FILES || bytes >= CHUNK_BYTES) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
  }
  if (chunk.length) chunks.push(chunk);
  return chunks;
}

/** Replicate snapshot `name` of `serial` from `folder` (`walked` already, or walked now); `progress` is told each file's plain bytes once checked or sent. */
export async function uploadSnapshot(
  deps: UploadDeps,
  serial: string,
  name: string,
  folder: string,
  progress: (bytes: number) => void,
  signal: AbortSignal,
  walked?: FoundEntry[],
): Promise<UploadCounts> {
  const found = walked ?? (await deps.hashes.walk(folder));
  const counts: UploadCounts = { files: 0, bytes: 0, sentObjects: 0, sentFiles: 0, sentBytes: 0, skipped: 0, manifestWritten: false };
  /** Each entry once its bytes are in the bucket. */
  const entries: (ManifestEntry | Promise<ManifestEntry>)[] = new Array(found.length);
  const inFlight = deps.inFlight;
  const packs = new PackWriter({ ...deps, uploads: Math.max(1, Math.ceil(deps.concurrency / 4)) }, signal);
  /** Files that shrink are sent compressed: those below COMPRESS_BELOW come compressed from the hash pool. */
  const compress = deps.hashes.compress;
  /** Files the hash pool may hand back with their bytes. */
  const keptBelow = compress ? COMPRESS_BELOW : PACK_BELOW;

  /** A large file as an object of its own: `stored`, its bytes compressed by the hash pool, or else read from `path` (compressed on the way when that pays). */
  const sendObject = async (objectName: string, path: string, size: number, stored?: { bytes: Buffer; encoding?: Encoding }): Promise<Placement> => {
    const encoding = stored ? stored.encoding : compress && size >= COMPRESS_BELOW && (await worthCompressingFile(path)) ? 'br' : undefined;
    const placement: Placement = { at: null, encoding };
    await withRetries(async () => {
      deps.checkWindow();
      let plain: Readable;
      if (stored) plain = Readable.from([stored.bytes], { objectMode: false });
      else {
        const read = createReadStream(path, { highWaterMark: 1024 * 1024 });
        plain = encoding ? encodeStream(read, size) : read;
      }
      // Paced as stored: the cap is on what crosses the uplink. A body compressed as it streams has a length known only at its end.
      const length = stored ? stored.bytes.length : encoding ? undefined : size;
      const body = deps.sealing.seal(deps.throttle.pace(plain, signal));
      await deps.bucket.upload(objectKey(objectName, encoding), body, length === undefined ? undefined : deps.sealing.storedSize(length), signal);
    }, signal, deps.onRetry);
    await deps.index.add({ name: objectName, ...placement });
    counts.sentObjects++;
    return placement;
  };

  /** Large files being sent, at most `concurrency` at once. */
  const sending = new Set<Promise<unknown>>();
  let failure = null as { err: unknown } | null;
  const fail = (err: unknown) => {
    failure ??= { err };
  };

  /** One file hashed: skipped when the bucket holds its content, else packed or sent. */
  const place = async (entry: FoundFile, hashed: HashedFile, at: number) => {
    const path = join(folder, entry.path);
    const objectName = deps.sealing.objectName(hashed.digest);
    let where = inFlight.get(objectName);
    const known = deps.index.get(objectName);
    if (where || known !== undefined) {
      // In the bucket, or on its way there for another file.
      counts.skipped++;
      where ??= Promise.resolve(known!);
    } else {
      // Known by its inode but not in the bucket (swept since, or a pass cut short): read again for the bytes to pack or
      // compress, so what is stored is the bytes hashed; a larger file whose start does not compress is only streamed.
      if (!hashed.bytes && (hashed.size < PACK_BELOW || (hashed.size < keptBelow && (await worthCompressingFile(path))))) hashed = await deps.hashes.hash(path, PACK_BELOW);
      const { size, bytes, encoding } = hashed;
      if (bytes && size < PACK_BELOW) {
        await packs.room();
        where = packs.add(objectName, bytes, encoding).then((at) => ({ at, encoding }));
      } else {
        while (sending.size >= deps.concurrency) await Promise.race(sending);
        if (failure) throw failure.err;
        where = sendObject(objectName, path, size, bytes && { bytes, encoding });
        const sent: Promise<unknown> = where.catch(fail).finally(() => sending.delete(sent));
        sending.add(sent);
      }
      inFlight.set(objectName, where);
      void where.then(() => {
        counts.sentFiles++;
        counts.sentBytes += size;
      }, fail);
    }
    const { digest, size } = hashed;
    entries[at] = where.then(({ at: location, encoding }) => {
      progress(size);
      // An `encoding` left undefined is not written: the manifest is JSON.
      const file = { type: 'file' as const, path: entry.path, mode: entry.mode, mtime: entry.mtime, size, sha256: digest, encoding };
      return location ? { ...file, pack: location.pack, offset: location.offset, length: location.length } : file;
    });
    counts.files++;
    counts.bytes += size;
  };

  /** Files not hashed before (by inode), hashed together in the pool; the digests of the rest from the cache. */
  const hashChunk = async (chunk: readonly number[]): Promise<HashedFile[]> => {
    const hashed: (HashedFile | undefined)[] = chunk.map((at) => deps.digests.get((found[at] as FoundFile).inode));
    const missing = chunk.filter((_, i) => !hashed[i]);
    const fresh = await deps.hashes.hashMany(missing.map((at) => join(folder, found[at]!.path)), PACK_BELOW, missing.map((at) => (found[at] as FoundFile).size));
    let next = 0;
    return chunk.map((at, i) => {
      if (hashed[i]) return hashed[i]!;
      const file = fresh[next++]!;
      deps.digests.set((found[at] as FoundFile).inode, { digest: file.digest, size: file.size });
      return file;
    });
  };

  try {
    const chunks = chunksOf(found, keptBelow, (at) => {
      const entry = found[at]!;
      if (entry.type !== 'file') entries[at] = entry;
      return entry.type === 'file';
    });
    // The next chunk is hashed while this one is packed and sent.
    let hashing = chunks.length ? hashChunk(chunks[0]!) : null;
    for (let c = 0; c < chunks.length; c++) {
      const hashed = await hashing!;
      hashing = c + 1 < chunks.length ? hashChunk(chunks[c + 1]!) : null;
      hashing?.catch(() => {});
      for (let i = 0; i < chunks[c]!.length; i++) {
        signal.throwIfAborted();
        if (failure) throw failure.err;
        const at = chunks[c]![i]!;
        await place(found[at] as FoundFile, hashed[i]!, at);
      }
    }
    while (sending.size) await Promise.race(sending);
    if (failure) throw failure.err;
  } finally {
    // Every pack and object started is waited for, even after a failure: nothing is left uploading once this returns.
    while (sending.size) await Promise.race(sending);
    await packs.flush().catch(() => {});
  }
  signal.throwIfAborted();
  await packs.flush();
  const written = await Promise.all(entries);
  counts.sentObjects += packs.counts.packs;

  const manifest: Manifest = { version: MANIFEST_VERSION, serial, snapshot: name, root: await rootOf(folder), entries: written };
  const body = deps.sealing.sealBuffer(await encodeManifest(manifest));
  deps.checkWindow();
  counts.manifestWritten = await withRetries(() => deps.bucket.put(manifestKey(serial, name), body, { onlyIfAbsent: true, signal }), signal, deps.onRetry);
  return counts;
}
