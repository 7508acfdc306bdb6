/**
 * One snapshot to the bucket: hash its files in the pool, send each object the
 * bucket does not hold yet (several at once, paced, retried), then write its
 * manifest only if absent. Progress survives a crash: every acknowledged
 * object is in the index, so a restarted pass sends only the rest.
 */
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import type { Bucket } from './bucket.js';
import type { FileDigest, HashPool } from './hash-pool.js';
import { manifestKey, objectKey } from './layout.js';
import { MANIFEST_VERSION, rootOf, walkSnapshot, type Manifest, type ManifestEntry } from './manifest.js';
import type { ObjectIndex } from './object-index.js';
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
  /** Throws to stop before the next object (outside the replication window). */
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
  /** Objects sent, and their plain bytes. */
  sentObjects: number;
  sentBytes: number;
  /** Files whose object the bucket already held. */
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
  const counts: UploadCounts = { files: 0, bytes: 0, sentObjects: 0, sentBytes: 0, skipped: 0, manifestWritten: false };
  const entries: ManifestEntry[] = new Array(found.length);
  const inFlight = new Map<string, Promise<void>>();

  const sendOnce = (objectName: string, path: string, size: number) => {
    let sending = inFlight.get(objectName);
    if (!sending) {
      sending = withRetries(async () => {
        deps.checkWindow();
        const body = deps.sealing.seal(deps.throttle.pace(createReadStream(path), signal));
        await deps.bucket.upload(objectKey(objectName), body, deps.sealing.storedSize(size), signal);
      }, signal, deps.onRetry).then(async () => {
        await deps.index.add(objectName);
        counts.sentObjects++;
        counts.sentBytes += size;
      });
      inFlight.set(objectName, sending);
    }
    return sending;
  };

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
      const { digest, size } = deps.digests.get(entry.inode) ?? (await deps.hashes.hash(path));
      deps.digests.set(entry.inode, { digest, size });
      const objectName = deps.sealing.objectName(digest);
      if (deps.index.has(objectName) && !inFlight.has(objectName)) counts.skipped++;
      else {
        // One failed object fails the snapshot: the others stop taking new files.
        await sendOnce(objectName, path, size).catch((err: unknown) => {
          failed = true;
          throw err;
        });
      }
      entries[at] = { type: 'file', path: entry.path, mode: entry.mode, mtime: entry.mtime, size, sha256: digest };
      counts.files++;
      counts.bytes += size;
      progress(size);
    }
  };
  await Promise.all(Array.from({ length: deps.concurrency }, worker));
  signal.throwIfAborted();

  const manifest: Manifest = { version: MANIFEST_VERSION, serial, snapshot: name, root: await rootOf(folder), entries };
  const body = deps.sealing.sealBuffer(Buffer.from(JSON.stringify(manifest)));
  deps.checkWindow();
  counts.manifestWritten = await withRetries(() => deps.bucket.put(manifestKey(serial, name), body, { onlyIfAbsent: true, signal }), signal, deps.onRetry);
  return counts;
}
