/** Worker thread entry: compact one store (see compact.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { compactStore, type CompactJob } from './compact.js';

compactStore(workerData as CompactJob).then(
  (bytes) => parentPort!.postMessage({ ok: true, bytes }),
  (err: Error) => parentPort!.postMessage({ ok: false, message: err.message }),
);
