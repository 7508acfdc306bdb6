/**
 * A thread of the {@link HashPool}, doing the file system's share of
 * replication with plain blocking calls (this thread has nothing else to do):
 * a snapshot's walk, and the sha256 of each file of a batch. Files smaller
 * than `keepBelow` come back with their bytes (compressed when they shrink
 * and `compressBelow` is set), and so do files below `compressBelow` that
 * shrink: all of a batch in one buffer that is moved, not copied. A file is
 * read once, and what is stored is exactly the bytes that were hashed.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { encodeSync, worthCompressingSync, SAMPLE_BYTES, type Encoding } from './encoding.js';
import { walkSnapshotSync, type FoundEntry } from './manifest.js';

/** `compressBelow`: 0, compression off. */
export type PoolRequest = { readonly walk: string } | { readonly paths: readonly string[]; readonly keepBelow: number; readonly compressBelow: number };

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
    const { results, bytes } = hashBatch(request.paths, request.keepBelow, request.compressBelow);
    parentPort!.postMessage({ results, bytes } satisfies PoolAnswer, [bytes.buffer]);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    parentPort!.postMessage({ error: `${e.code ?? 'error'}: ${e.message}` } satisfies PoolAnswer);
  }
});

function hashBatch(paths: readonly string[], keepBelow: number, compressBelow: number) {
  const results: HashResult[] = [];
  const kept: Buffer[] = [];
  let keptBytes = 0;
  const keepUpTo = Math.max(keepBelow, compressBelow);
  for (const path of paths) {
    const fd = openSync(path, 'r');
    try {
      const hash = createHash('sha256');
      const parts: Buffer[] = [];
      let size = 0;
      /** False once the file is known to be neither packed nor worth compressing: its bytes are not kept. */
      let keeping = true;
      /** True once its start was judged worth compressing. */
      let judged = false;
      for (;;) {
        const read = readSync(fd, scratch, 0, CHUNK, null);
        if (read === 0) break;
        const chunk = scratch.subarray(0, read);
        hash.update(chunk);
        // A file that fills the first read is past the packed size: its start decides whether it is kept to compress.
        if (size === 0 && read === CHUNK && read >= keepBelow) keeping = judged = compressBelow > 0 && worthCompressingSync(chunk.subarray(0, SAMPLE_BYTES));
        if (keeping && size + read < keepUpTo) parts.push(Buffer.from(chunk));
        else keeping = false;
        size += read;
      }
      const digest = hash.digest('hex');
      const stored = keeping && size < keepUpTo ? storedBytes(Buffer.concat(parts, size), size < keepBelow, compressBelow > 0, judged) : null;
      if (!stored) {
        results.push({ digest, size });
        continue;
      }
      kept.push(stored.bytes);
      keptBytes += stored.bytes.length;
      results.push({ digest, size, stored: stored.bytes.length, encoding: stored.encoding });
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

/** What a file read whole comes back as: a packed one as it is or compressed; a larger one only compressed, or not at all. */
function storedBytes(plain: Buffer, packed: boolean, compress: boolean, judged: boolean): { bytes: Buffer; encoding?: Encoding } | null {
  const encoded = compress ? encodeSync(plain, judged) : { bytes: plain };
  return packed || encoded.encoding ? encoded : null;
}
