/**
 * Compaction: fold closed journals into a new snapshot. It reads only files
 * the store no longer appends to, so it runs beside the writers (in a worker
 * thread) and never holds them up.
 */
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { ServerErrors } from '../errors.js';
import { snapshotFile } from './files.js';
import { replayJournals } from './replay.js';
import { readSnapshot, writeSnapshot } from './snapshot.js';

export interface CompactJob {
  readonly dir: string;
  /** The last closed journal to fold in. */
  readonly upTo: number;
}

/** Fold journals up to `job.upTo` into the snapshot; resolves with the new snapshot's size. */
export type Compactor = (job: CompactJob) => Promise<number>;

export async function compactStore(job: CompactJob): Promise<number> {
  const snapshot = await readSnapshot<object>(snapshotFile(job.dir));
  if (!snapshot) throw ServerErrors.STORE_CORRUPT(snapshotFile(job.dir), 'the snapshot to compact onto is missing');
  await replayJournals(snapshot.data, job.dir, snapshot.journal, job.upTo, false);
  return writeSnapshot(snapshotFile(job.dir), snapshot.data, job.upTo + 1, snapshot.document);
}

const WORKER = new URL('./compact-worker.js', import.meta.url);

/**
 * Compact in a worker thread. Run from sources (the unit tests) there is no
 * built worker file, and compaction runs in this thread instead.
 */
export const compactInWorker: Compactor = (job) => {
  if (!existsSync(WORKER)) return compactStore(job);
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { workerData: job });
    worker.once('message', (message: { ok: true; bytes: number } | { ok: false; message: string }) => {
      if (message.ok) resolve(message.bytes);
      else reject(new Error(message.message));
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the compaction worker exited with ${code}`)));
  });
};
