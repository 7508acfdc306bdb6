/**
 * Each plugin's document, kept with lowdb. A write is acknowledged only once it is
 * on disk:
 *  - atomic: temp file, fsync, rename over the old file, fsync the folder;
 *  - grouped: writers that arrive while a flush runs share the next flush, and each
 *    caller's promise settles with the flush that holds its change;
 *  - single writer: one daemon per data folder (see DataDirLock).
 */
import { mkdir, open, readFile, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Low, type Adapter } from 'lowdb';
import { ServerErrors, withCause } from './errors.js';

/** A JSON file written durably (see the module comment). */
export class DurableJsonFile<T> implements Adapter<T> {
  private readonly tmp: string;

  constructor(readonly file: string) {
    this.tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  }

  async read(): Promise<T | null> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw withCause(ServerErrors.STORE_CORRUPT(this.file, (err as Error).message), err);
    }
  }

  /** Serialises synchronously, before the first await, so the snapshot is the state at call time. */
  write(data: T): Promise<void> {
    return this.writeText(JSON.stringify(data));
  }

  private async writeText(text: string): Promise<void> {
    const handle = await open(this.tmp, 'w', 0o600);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(this.tmp, this.file);
    // The rename is durable only once the folder entry is on disk too.
    const folder = await open(dirname(this.file), 'r');
    try {
      await folder.sync();
    } finally {
      await folder.close();
    }
  }
}

/** A plugin's document: read `data`, change it with `update`, await the disk. */
export interface Store<T> {
  /** The current state. Change it only inside `update`. */
  readonly data: T;
  /** Apply `change` now; resolves once a flush holding it is on disk. */
  update(change: (data: T) => void): Promise<void>;
  /** Resolves once everything changed so far is on disk. */
  flush(): Promise<void>;
}

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export class JsonStore<T> implements Store<T> {
  private readonly low: Low<T>;
  private inflight: Promise<void> | null = null;
  /** The flush that changes made now will ride on. */
  private next: Deferred | null = null;

  private constructor(low: Low<T>) {
    this.low = low;
  }

  /** Open (creating if absent) the document at `file`, starting from `defaults`. */
  static async open<T>(file: string, defaults: T): Promise<JsonStore<T>> {
    await mkdir(dirname(file), { recursive: true });
    await removeStaleTemps(file);
    const low = new Low<T>(new DurableJsonFile<T>(file), structuredClone(defaults));
    await low.read();
    return new JsonStore(low);
  }

  get data(): T {
    return this.low.data;
  }

  update(change: (data: T) => void): Promise<void> {
    change(this.low.data);
    return this.flush();
  }

  flush(): Promise<void> {
    const next = (this.next ??= deferred());
    if (!this.inflight) this.startFlush();
    return next.promise;
  }

  private startFlush(): void {
    const waiting = this.next!;
    this.next = null;
    this.inflight = this.low
      .write()
      .then(waiting.resolve, waiting.reject)
      .finally(() => {
        this.inflight = null;
        if (this.next) this.startFlush();
      });
  }
}

/** Temp files left by a crash mid-write are never the live document: drop them. */
async function removeStaleTemps(file: string): Promise<void> {
  const prefix = `.${basename(file)}.`;
  for (const name of await readdir(dirname(file))) {
    if (name.startsWith(prefix) && name.endsWith('.tmp')) await unlink(join(dirname(file), name)).catch(() => {});
  }
}
