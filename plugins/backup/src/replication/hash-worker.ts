/** A hashing thread of the {@link HashPool}: sha256 of one file per message, read in a stream. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { parentPort } from 'node:worker_threads';

parentPort!.on('message', (path: string) => {
  const hash = createHash('sha256');
  let size = 0;
  createReadStream(path, { highWaterMark: 1024 * 1024 })
    .on('data', (chunk) => {
      size += chunk.length;
      hash.update(chunk);
    })
    .on('error', (err: NodeJS.ErrnoException) => parentPort!.postMessage({ error: `${err.code ?? 'error'}: ${err.message}` }))
    .on('end', () => parentPort!.postMessage({ digest: hash.digest('hex'), size }));
});
