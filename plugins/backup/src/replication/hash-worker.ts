/**
 * A thread of the {@link HashPool}, doing the file system's share of
 * replication with plain blocking calls (this thread has nothing else to do):
 * a snapshot's walk, and the sha256 of each file of a batch. Files smaller
 * than `keepBelow` come back with their bytes, all of a batch in one buffer
 * that is moved, not copied: a packed file is read once, and the pack holds
 * exactly the bytes that were hashed (compressed here when `compress` is set
 * and they shrink).
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { encodeSmallSync, type Encoding } from './encoding.js';
import { walkSnapshotSync, type FoundEntry } from './manifest.js';

export type PoolRequest = { readonly walk: string } | { readonly paths: readonly string[]; readonly keepBelow: number; readonly compress: boolean };

/** One file hashed; `stored` bytes of the batch's buffer are its own when it was kept (`encoding` when compressed). */
export interface HashResult {
  readonly digest: string;
  readonly size: number;
  readonly stored?: number;
  readonly encoding?: Encoding;
}

export type PoolAnswer =
  | { readonly results: HashResult[]; readonly bytes: Uint8Array }
  | { readonly entries: FoundEntry[] }
  | { readonly error: string };

const CHUNK = 1024 * 1024;
const scratch = Buffer.allocUnsafeSlow(CHUNK);

parentPort!.on('message', (request: PoolRequest) => {
  try {
    if ('walk' in request) return parentPort!.postMessage({ entries: walkSnapshotSync(request.walk) } satisfies PoolAnswer);
    const { results, bytes } = hashBatch(request.paths, request.keepBelow, request.compress);
    parentPort!.postMessage({ results, bytes } satisfies PoolAnswer, [bytes.buffer]);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    parentPort!.postMessage({ error: `${e.code ?? 'error'}: ${e.message}` } satisfies PoolAnswer);
  }
});

function hashBatch(paths: readonly string[], keepBelow: number, compress: boolean) {
  const results: HashResult[] = [];
  const kept: Buffer[] = [];
  let keptBytes = 0;
  for (const path of paths) {
    const fd = openSync(path, 'r');
    try {
      const hash = createHash('sha256');
      const parts: Buffer[] = [];
      let size = 0;
      for (;;) {
        const read = readSync(fd, scratch, 0, CHUNK, null);
        if (read === 0) break;
        hash.update(scratch.subarray(0, read));
        if (size + read < keepBelow) parts.push(Buffer.from(scratch.subarray(0, read)));
        size += read;
      }
      const digest = hash.digest('hex');
      if (size >= keepBelow) {
        results.push({ digest, size });
        continue;
      }
      const plain = parts.length === 1 ? parts[0]! : Buffer.concat(parts, size);
      const { bytes, encoding } = compress ? encodeSmallSync(plain) : { bytes: plain, encoding: undefined };
      kept.push(bytes);
      keptBytes += bytes.length;
      results.push(encoding ? { digest, size, stored: bytes.length, encoding } : { digest, size, stored: bytes.length });
    } finally {
      closeSync(fd);
    }
  }
  // One buffer of its own for the whole batch: pooled small buffers cannot be moved to another thread.
  const bytes = new Uint8Array(keptBytes);
  let at = 0;
  for (const part of kept) {
    bytes.set(part, at);
    at += part.length;
  }
  return { results, bytes };
}
