/**
 * The compile worker's entry: runs {@link compileLists} off the daemon's event
 * loop and reports progress, the outcome or the error (code kept) back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isSugarError } from 'sugar-server';
import { compileLists, type CompileJob } from './compile.js';
import type { WorkerMessage } from './compiler.js';

const port = parentPort!;
const post = (message: WorkerMessage) => port.postMessage(message);

compileLists(workerData as CompileJob, (progress) => post({ type: 'progress', progress })).then(
  (outcome) => post({ type: 'done', outcome }),
  (err: unknown) => post({
    type: 'failed',
    code: isSugarError(err) ? err.code : null,
    status: isSugarError(err) ? err.status : 500,
    message: err instanceof Error ? err.message : String(err),
  }),
);
