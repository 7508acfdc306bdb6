/**
 * One snapshot to the bucket: hash its files in the pool, send each content
 * the bucket does not hold yet (small files gathered into packs, large ones as
 * objects of their own; several at once, paced, retried), then write its
 * manifest only if absent, once every pack and object it names is
 * acknowledged. Progress survives a crash: every acknowledged pack's blobs and
 * every object are in the index, so a restarted pass sends only the rest.
 */
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import type { Bucket } from './bucket.js';
import type { FileDigest, HashedFile, HashPool } from './hash-pool.js';
import { manifestKey, objectKey, PACK_BELOW } from './layout.js';
import { MANIFEST_VERSION, rootOf, walkSnapshot, type Manifest, type ManifestEntry } from './manifest.js';
import type { BlobLocation, ObjectIndex } from './object-index.js';
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
  /** Files whose content the bucket already held. */
  skipped: number;
  /** False when the manifest was already there (a crash after writing it, before recording it). */
  manifestWritten: boolean;
}

/** Replicate snapshot `name` of `serial` from `folder`; `progress` is told each file's plain bytes once checked or sent. */
export async function uploadSnapshot(
  deps: UploadDeps,
  serial: string,
  name: string,
  folder: string,
  progress: (bytes: number) => void,
  signal: AbortSignal,
): Promise<UploadCounts> {
  const found = await walkSnapshot(folder);
  const counts: UploadCounts = { files: 0, bytes: 0, sentObjects: 0, sentFiles: 0, sentBytes: 0, skipped: 0, manifestWritten: false };
  /** Each entry once its bytes are in the bucket. */
  const entries: (ManifestEntry | Promise<ManifestEntry>)[] = new Array(found.length);
  /** Content being sent, by object name: where it will be. */
  const inFlight = new Map<string, Promise<BlobLocation | null>>();
  const packs = new PackWriter({ ...deps, uploads: Math.max(1, Math.ceil(deps.concurrency / 4)) }, signal);

  const sendObject = (objectName: string, path: string, size: number) =>
    withRetries(async () => {
      deps.checkWindow();
      const body = deps.sealing.seal(deps.throttle.pace(createReadStream(path), signal));
      await deps.bucket.upload(objectKey(objectName), body, deps.sealing.storedSize(size), signal);
    }, signal, deps.onRetry).then(async () => {
      await deps.index.add({ name: objectName, at: null });
      counts.sentObjects++;
      return null;
    });

  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < found.length && !signal.aborted && !failed) {
      const at = next++;
      const entry = found[at]!;
      if (entry.type !== 'file') {
        entries[at] = entry;
        continue;
      }
      const path = join(folder, entry.path);
      let hashed: HashedFile | undefined = deps.digests.get(entry.inode);
      if (!hashed) {
        hashed = await deps.hashes.hash(path, PACK_BELOW);
        deps.digests.set(entry.inode, { digest: hashed.digest, size: hashed.size });
      }
      const objectName = deps.sealing.objectName(hashed.digest);
      let where = inFlight.get(objectName);
      const known = deps.index.get(objectName);
      if (!where && known !== undefined) {
        counts.skipped++;
        where = Promise.resolve(known);
      } else if (!where) {
        // Known by its inode but not in the bucket (swept since): read again, so the pack holds the bytes hashed.
        if (hashed.size < PACK_BELOW && !hashed.bytes) hashed = await deps.hashes.hash(path, PACK_BELOW);
        const { size, bytes } = hashed;
        if (bytes) {
          await packs.room();
          where = packs.add(objectName, bytes);
        } else {
          where = sendObject(objectName, path, size);
        }
        inFlight.set(objectName, where);
        void where.then(() => {
          counts.sentFiles++;
          counts.sentBytes += size;
        }, () => {});
      }
      const { digest, size } = hashed;
      const done = where.then((location) => {
        progress(size);
        const file = { type: 'file' as const, path: entry.path, mode: entry.mode, mtime: entry.mtime, size, sha256: digest };
        return location ? { ...file, pack: location.pack, offset: location.offset, length: location.length } : file;
      });
      entries[at] = done;
      counts.files++;
      counts.bytes += size;
      // A large file is waited for here (it holds one of the uploads at once); a blob waits for its pack, which needs more blobs.
      // One failed upload fails the snapshot: the others stop taking new files.
      if (!hashed.bytes && known === undefined) await done.catch((err: unknown) => {
        failed = true;
        throw err;
      });
      else done.catch(() => {
        failed = true;
      });
    }
  };
  try {
    await Promise.all(Array.from({ length: deps.concurrency }, worker));
  } finally {
    // Every pack started is waited for, even after a failure: nothing is left uploading once this returns.
    await packs.flush().catch(() => {});
  }
  signal.throwIfAborted();
  await packs.flush();
  const written = await Promise.all(entries);
  counts.sentObjects += packs.counts.packs;

  const manifest: Manifest = { version: MANIFEST_VERSION, serial, snapshot: name, root: await rootOf(folder), entries: written };
  const body = deps.sealing.sealBuffer(Buffer.from(JSON.stringify(manifest)));
  deps.checkWindow();
  counts.manifestWritten = await withRetries(() => deps.bucket.put(manifestKey(serial, name), body, { onlyIfAbsent: true, signal }), signal, deps.onRetry);
  return counts;
}
