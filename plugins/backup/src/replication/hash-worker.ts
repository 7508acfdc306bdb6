/**
 * A hashing thread of the {@link HashPool}: sha256 of one file per message,
 * read in a stream. A file smaller than `keepBelow` comes back with its bytes
 * (moved, not copied), so a file packed is read once and the pack holds
 * exactly the bytes that were hashed.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { parentPort } from 'node:worker_threads';

parentPort!.on('message', ({ path, keepBelow }: { path: string; keepBelow: number }) => {
  const hash = createHash('sha256');
  let size = 0;
  let kept: Buffer[] | null = [];
  createReadStream(path, { highWaterMark: 1024 * 1024 })
    .on('data', (chunk) => {
      const bytes = chunk as Buffer;
      size += bytes.length;
      hash.update(bytes);
      if (kept && size < keepBelow) kept.push(bytes);
      else kept = null;
    })
    .on('error', (err: NodeJS.ErrnoException) => parentPort!.postMessage({ error: `${err.code ?? 'error'}: ${err.message}` }))
    .on('end', () => {
      const digest = hash.digest('hex');
      if (!kept || size >= keepBelow) return parentPort!.postMessage({ digest, size });
      // A copy of its own: the stream's chunks may share a pooled buffer that cannot be moved.
      const bytes = new Uint8Array(size);
      let at = 0;
      for (const chunk of kept) {
        bytes.set(chunk, at);
        at += chunk.length;
      }
      parentPort!.postMessage({ digest, size, bytes }, [bytes.buffer]);
    });
});
