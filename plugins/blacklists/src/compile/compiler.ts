/**
 * Runs a compile in a worker thread, so that reading millions of lines and
 * sorting them never stalls the daemon's HTTP answers, and relays its
 * progress. The worker only writes the file it is given; putting it in place
 * is the caller's job.
 */
import { Worker } from 'node:worker_threads';
import { SugarError } from 'sugar-server';
import type { CompileJob, CompileOutcome, CompileProgress } from './compile.js';
import { BlacklistsErrors } from '../errors.js';

/** What the worker posts back. */
export type WorkerMessage =
  | { readonly type: 'progress'; readonly progress: CompileProgress }
  | { readonly type: 'done'; readonly outcome: CompileOutcome }
  | { readonly type: 'failed'; readonly code: string | null; readonly status: number; readonly message: string };

/** Compile `job` in a worker; rejects with the worker's error (its code kept) or BLACKLISTS_ERR_COMPILE_FAILED. */
export function compileInWorker(job: CompileJob, onProgress: (progress: CompileProgress) => void, signal?: AbortSignal): Promise<CompileOutcome> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./compile-worker.js', import.meta.url), { workerData: job });
    let settled = false;
    const settle = (result: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', abort);
      result();
    };
    const abort = () => {
      settle(() => reject(BlacklistsErrors.COMPILE_STOPPED()));
      void worker.terminate();
    };
    signal?.addEventListener('abort', abort, { once: true });
    if (signal?.aborted) abort();
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'progress') onProgress(message.progress);
      else if (message.type === 'done') settle(() => resolve(message.outcome));
      else settle(() => reject(message.code ? new SugarError(message.code, message.message, { status: message.status }) : BlacklistsErrors.COMPILE_FAILED(message.message)));
    });
    worker.on('error', (err) => settle(() => reject(BlacklistsErrors.COMPILE_FAILED(err.message))));
    worker.on('exit', (code) => settle(() => reject(BlacklistsErrors.COMPILE_FAILED(`the compile worker exited (${code}) without an answer`))));
  });
}
