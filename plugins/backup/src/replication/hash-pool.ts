/**
 * sha256 of files in worker threads, so hashing a school's backups (gigabytes)
 * never holds the daemon's event loop: laptops' availability checks and the
 * admin API keep answering while a snapshot is hashed.
 */
import { Worker } from 'node:worker_threads';

export interface FileDigest {
  readonly digest: string;
  /** Bytes read: the file's size at the moment it was hashed. */
  readonly size: number;
}

/** A file's digest, and its bytes when it was smaller than asked. */
export interface HashedFile extends FileDigest {
  readonly bytes?: Buffer;
}

interface Job {
  readonly path: string;
  readonly keepBelow: number;
  resolve(result: HashedFile): void;
  reject(err: Error): void;
}

interface Slot {
  readonly worker: Worker;
  job: Job | null;
}

export class HashPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private closed = false;

  constructor(private readonly threads: number) {}

  /** The file's sha256 and size; its bytes too when it is smaller than `keepBelow`. */
  hash(path: string, keepBelow = 0): Promise<HashedFile> {
    if (this.closed) return Promise.reject(new Error('the hash pool is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ path, keepBelow, resolve, reject });
      this.dispatch();
    });
  }

  /** End the threads; queued and running jobs are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new Error('the hash pool is closed'));
    await Promise.all(this.slots.splice(0).map(async (slot) => {
      slot.job?.reject(new Error('the hash pool is closed'));
      await slot.worker.terminate();
    }));
  }

  private dispatch(): void {
    while (this.queue.length) {
      const slot = this.slots.find((s) => s.job === null) ?? (this.slots.length < this.threads ? this.spawn() : null);
      if (!slot) return;
      slot.job = this.queue.shift()!;
      slot.worker.postMessage({ path: slot.job.path, keepBelow: slot.job.keepBelow });
    }
  }

  private spawn(): Slot {
    const worker = new Worker(new URL('./hash-worker.js', import.meta.url));
    worker.unref();
    const slot: Slot = { worker, job: null };
    worker.on('message', (answer: { digest: string; size: number; bytes?: Uint8Array } | { error: string }) => {
      const job = slot.job;
      slot.job = null;
      if ('error' in answer) job?.reject(new Error(answer.error));
      else job?.resolve({ digest: answer.digest, size: answer.size, bytes: answer.bytes && Buffer.from(answer.bytes.buffer, answer.bytes.byteOffset, answer.bytes.byteLength) });
      this.dispatch();
    });
    worker.on('error', (err) => {
      slot.job?.reject(err);
      slot.job = null;
      this.slots.splice(this.slots.indexOf(slot), 1);
      this.dispatch();
    });
    this.slots.push(slot);
    return slot;
  }
}
