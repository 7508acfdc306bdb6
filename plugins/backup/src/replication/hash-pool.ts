/**
 * sha256 of files, and walks of snapshots, in worker threads, so hashing a
 * school's backups (gigabytes) never holds the daemon's event loop: laptops'
 * availability checks and the admin API keep answering while a snapshot is
 * hashed. Files go to the threads in batches: one message each way for many
 * small files.
 */
import { Worker } from 'node:worker_threads';
import { COMPRESS_BELOW, type Encoding } from './encoding.js';
import type { PoolAnswer, PoolRequest } from './hash-worker.js';
import type { FoundEntry } from './manifest.js';

export interface FileDigest {
  readonly digest: string;
  /** Bytes read: the file's size at the moment it was hashed. */
  readonly size: number;
}

/**
 * A file's digest, and its bytes as they are to be stored: when it was smaller
 * than asked (compressed when `encoding` says), or when the pool compresses and
 * it was below COMPRESS_BELOW and shrank (`encoding` then always says so).
 */
export interface HashedFile extends FileDigest {
  readonly bytes?: Buffer;
  readonly encoding?: Encoding;
}

interface Job {
  readonly request: PoolRequest;
  resolve(answer: PoolAnswer): void;
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

  /** `compress`: bytes come back compressed when they shrink, and larger files' too (see encoding.ts). */
  constructor(
    private readonly threads: number,
    readonly compress = false,
  ) {}

  /** The file's sha256 and size; its bytes too when it is smaller than `keepBelow`. */
  async hash(path: string, keepBelow = 0): Promise<HashedFile> {
    return (await this.batch([path], keepBelow))[0]!;
  }

  /**
   * Files hashed together, spread over the threads in a few batches (`sizes`,
   * when known, even out the bytes each thread reads); in the order given.
   */
  async hashMany(paths: readonly string[], keepBelow: number, sizes?: readonly number[]): Promise<HashedFile[]> {
    if (paths.length === 0) return [];
    const parts = Math.min(this.threads, paths.length);
    const total = sizes ? sizes.reduce((a, b) => a + b, 0) : paths.length;
    const batches: string[][] = [];
    let current: string[] = [];
    let weight = 0;
    for (let i = 0; i < paths.length; i++) {
      current.push(paths[i]!);
      weight += sizes ? sizes[i]! : 1;
      if (batches.length < parts - 1 && weight >= (total * (batches.length + 1)) / parts) {
        batches.push(current);
        current = [];
      }
    }
    if (current.length) batches.push(current);
    return (await Promise.all(batches.map((batch) => this.batch(batch, keepBelow)))).flat();
  }

  /** Every folder, file and symlink of a snapshot, parents first (see walkSnapshotSync). */
  async walk(folder: string): Promise<FoundEntry[]> {
    return ((await this.run({ walk: folder })) as { entries: FoundEntry[] }).entries;
  }

  private async batch(paths: readonly string[], keepBelow: number): Promise<HashedFile[]> {
    return unpack((await this.run({ paths, keepBelow, compressBelow: this.compress ? COMPRESS_BELOW : 0 })) as Extract<PoolAnswer, { results: unknown }>);
  }

  private run(request: PoolRequest): Promise<PoolAnswer> {
    if (this.closed) return Promise.reject(new Error('the hash pool is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
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
      slot.worker.postMessage(slot.job.request);
    }
  }

  private spawn(): Slot {
    const worker = new Worker(new URL('./hash-worker.js', import.meta.url));
    worker.unref();
    const slot: Slot = { worker, job: null };
    worker.on('message', (answer: PoolAnswer) => {
      const job = slot.job;
      slot.job = null;
      if ('error' in answer) job?.reject(new Error(answer.error));
      else job?.resolve(answer);
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

/** Each file's result, its bytes a slice of the batch's buffer. */
function unpack({ results, bytes }: Extract<PoolAnswer, { results: unknown }>): HashedFile[] {
  const all = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  return results.map(({ digest, size, stored, encoding }) => {
    if (stored === undefined) return { digest, size };
    const bytes = all.subarray(at, at + stored);
    at += stored;
    return { digest, size, bytes, encoding };
  });
}
