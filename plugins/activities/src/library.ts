/**
 * The library folder of `.xo` files and its index. The folder is the truth:
 * files an admin copies in or deletes are picked up (fs.watch, debounced), and
 * uploads, deletions and the Mothership's bundles go through this class, which
 * writes them atomically (a temp file in the same folder, fsync, rename).
 *
 * Each file is inspected once per name, size and modification time; the
 * results are kept in the store, so a restart reads only what changed. A file
 * that fails inspection is kept as a problem with its reason and never stops
 * the others. Changes to the index are serialised; inspections run outside
 * that lock, a few at a time.
 */
import { randomBytes } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { constants, copyFile, mkdir, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isSugarError, syncDir, type Logger, type Store } from 'sugar-server';
import type { BundleLimits } from './bundle-checks.js';
import { inspectBundle, type BundleContents } from './bundle-inspector.js';
import { recordOf, type BundleRecord } from './bundle-record.js';
import { ActivitiesErrors } from './errors.js';
import { bundleFileName, isBundleFileName } from './file-names.js';
import type { ActivitiesDocument, CachedFile } from './library-document.js';
import { LibraryIndex, type Problem } from './library-index.js';
import { parseVersion } from './sugar-version.js';

/** What the library needs. */
export interface LibraryOptions {
  readonly dir: string;
  readonly limits: BundleLimits;
  readonly store: Store<ActivitiesDocument>;
  readonly log: Logger;
  /** Aborted when the plugin stops: the watch ends and a running scan gives up. */
  readonly signal: AbortSignal;
}

/** What one scan of the folder did. */
export interface ScanReport {
  readonly bundles: number;
  readonly problems: number;
  /** Files inspected in this scan (the others were known by name, size and time). */
  readonly read: number;
  readonly durationMs: number;
}

/** What an upload did. */
export interface AddResult {
  readonly bundle: BundleRecord;
  /** Files of the same id and version that it replaced (its own name included when it was taken). */
  readonly replaced: readonly string[];
}

interface ListedFile {
  readonly name: string;
  readonly size: number;
  readonly mtimeMs: number;
}

/** Changes often come in bursts (a copy writes many times); wait for quiet before reading. */
const SCAN_DELAY_MS = 300;
const PARALLEL_READS = 4;
/** Files being written into the folder; the scan skips dot files. */
const TEMP_PREFIX = '.incoming-';

export class Library {
  private files: Map<string, CachedFile>;
  private current: LibraryIndex;
  private generation = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private scanning: Promise<ScanReport> | undefined;
  private again = false;
  private scans = 0;

  private constructor(private readonly options: LibraryOptions) {
    this.files = new Map(Object.entries(options.store.data.files));
    this.current = this.build();
  }

  /** Create the folder if needed, clear temp files a crash left, and index from the store. */
  static async open(options: LibraryOptions): Promise<Library> {
    await mkdir(options.dir, { recursive: true });
    for (const name of await readdir(options.dir)) {
      if (name.startsWith(TEMP_PREFIX)) await unlink(join(options.dir, name)).catch(() => {});
    }
    return new Library(options);
  }

  get dir(): string {
    return this.options.dir;
  }

  /** The index as it is now. */
  index(): LibraryIndex {
    return this.current;
  }

  /** Start watching the folder and scan it in the background. */
  start(): void {
    const { log, signal } = this.options;
    signal.addEventListener('abort', () => {
      clearTimeout(this.timer);
      this.watcher?.close();
    }, { once: true });
    try {
      this.watcher = watch(this.dir, { persistent: false }, (_event, name) => {
        if (!name?.startsWith('.')) this.requestScan();
      });
      this.watcher.on('error', (err) => log.warn({ err, dir: this.dir }, 'the library folder is no longer watched; restart to see changes'));
    } catch (err) {
      log.warn({ err, dir: this.dir }, 'the library folder cannot be watched; changes are seen at restart');
    }
    this.scan().catch((err: unknown) => log.error({ err, dir: this.dir }, 'library scan failed'));
  }

  /** Scan soon (changes come in bursts). */
  requestScan(): void {
    if (this.options.signal.aborted) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.scan().catch((err: unknown) => this.options.log.error({ err, dir: this.dir }, 'library scan failed'));
    }, SCAN_DELAY_MS);
    this.timer.unref();
  }

  /** Scan now; while a scan runs, another follows it. */
  scan(): Promise<ScanReport> {
    if (this.scanning) {
      this.again = true;
      return this.scanning;
    }
    this.scanning = this.scanOnce().finally(() => {
      this.scanning = undefined;
      if (this.again) {
        this.again = false;
        this.requestScan();
      }
    });
    return this.scanning;
  }

  /** A fresh temp path inside the folder (same file system, so a rename into place is atomic). */
  tempPath(): string {
    return join(this.dir, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
  }

  /**
   * Move an inspected upload into place as `<bundle_id>-<version>.xo`. A bundle
   * of the same id and (Sugar-equal) version is refused unless `replace`, which
   * removes the files it replaces.
   */
  add(temp: string, contents: BundleContents, replace: boolean): Promise<AddResult> {
    return this.exclusive(async () => {
      const { bundleId, version } = contents.info;
      const same = this.current.sameVersion(bundleId, parseVersion(version)!);
      if (same.length && !replace) throw ActivitiesErrors.DUPLICATE(bundleId, version, same[0]!.file);
      const name = bundleFileName(bundleId, version);
      if (!isBundleFileName(name)) throw ActivitiesErrors.BAD_FILE_NAME(name);
      const bundle = await this.putInPlace(temp, name, contents);
      const others = same.filter((record) => record.file !== name);
      for (const record of others) await this.unlinkFile(record.file);
      await this.changed();
      return { bundle, replaced: same.map((record) => record.file) };
    });
  }

  /** Copy inspected bundles (the Mothership's snapshot files) into place under the given names, replacing files of those names. */
  placeCopies(copies: readonly { readonly source: string; readonly name: string; readonly contents: BundleContents }[]): Promise<BundleRecord[]> {
    return this.exclusive(async () => {
      const placed = [];
      for (const { source, name, contents } of copies) {
        const temp = this.tempPath();
        try {
          // A copy, not a hard link: an admin editing the library file in place must not change the feed's last good copy.
          await copyFile(source, temp, constants.COPYFILE_FICLONE);
          placed.push(await this.putInPlace(temp, name, contents));
        } finally {
          await unlink(temp).catch(() => {});
        }
      }
      await this.changed();
      return placed;
    });
  }

  /** Delete every file of `id` whose version Sugar takes as equal to `version`. */
  remove(id: string, version: string): Promise<BundleRecord[]> {
    return this.exclusive(async () => {
      const parsed = parseVersion(version);
      if (!parsed) throw ActivitiesErrors.BAD_VERSION(version);
      const matches = this.current.sameVersion(id, parsed);
      if (!matches.length) throw ActivitiesErrors.NOT_FOUND(`${id} version ${version}`);
      for (const record of matches) await this.unlinkFile(record.file);
      await this.changed();
      return matches;
    });
  }

  private async scanOnce(): Promise<ScanReport> {
    const { log, signal } = this.options;
    const started = performance.now();
    const first = this.scans++ === 0;
    const stale = (await this.list()).filter((file) => !sameFile(this.files.get(file.name), file));
    const found = new Map<string, CachedFile>();
    await inParallel(stale, PARALLEL_READS, async (file) => {
      if (!signal.aborted) found.set(file.name, await this.inspect(file));
    });

    const counts = await this.exclusive(async () => {
      if (signal.aborted) return { bundles: 0, problems: 0 };
      // List again under the lock: an upload may have landed, or a file changed, while we read.
      const next = new Map<string, CachedFile>();
      for (const file of await this.list()) {
        const known = [this.files.get(file.name), found.get(file.name)].find((cached) => sameFile(cached, file));
        if (known) next.set(file.name, known);
        else this.again = true;
      }
      const changed = next.size !== this.files.size || [...next].some(([name, cached]) => this.files.get(name) !== cached);
      this.files = next;
      if (changed) await this.changed();
      return { bundles: this.current.bundles.length, problems: this.current.problems.length };
    });

    for (const [file, cached] of first ? this.files : found) {
      if ('problem' in cached && this.files.get(file) === cached) log.warn({ file, code: cached.problem.code, reason: cached.problem.reason }, 'bundle refused');
    }
    const report = { ...counts, read: found.size, durationMs: Math.round(performance.now() - started) };
    if (first || found.size) log.info({ dir: this.dir, ...report }, 'library indexed');
    else log.debug({ dir: this.dir, ...report }, 'library scanned');
    return report;
  }

  private async inspect(file: ListedFile): Promise<CachedFile> {
    const key = { size: file.size, mtimeMs: file.mtimeMs };
    if (!isBundleFileName(file.name)) return { ...key, problem: problemOf(ActivitiesErrors.BAD_FILE_NAME(file.name)) };
    try {
      return { ...key, bundle: recordOf(file.name, file.mtimeMs, await inspectBundle(join(this.dir, file.name), this.options.limits)) };
    } catch (err) {
      if (isSugarError(err) && err.code.startsWith('ACTIVITIES_ERR_')) return { ...key, problem: problemOf(err) };
      return { ...key, problem: problemOf(ActivitiesErrors.UNREADABLE(file.name, (err as NodeJS.ErrnoException).code ?? (err as Error).message)) };
    }
  }

  /** Regular `*.xo` files (symlinks followed), dot files left out. */
  private async list(): Promise<ListedFile[]> {
    const listed: ListedFile[] = [];
    for (const name of await readdir(this.dir)) {
      if (name.startsWith('.') || !name.toLowerCase().endsWith('.xo')) continue;
      const info = await stat(join(this.dir, name)).catch(() => undefined);
      if (info?.isFile()) listed.push({ name, size: info.size, mtimeMs: info.mtimeMs });
    }
    return listed;
  }

  /** fsync `temp`, rename it to `name`, fsync the folder; returns the record of the file now in place. */
  private async putInPlace(temp: string, name: string, contents: BundleContents): Promise<BundleRecord> {
    await syncDir(temp);
    const target = join(this.dir, name);
    await rename(temp, target);
    await syncDir(this.dir);
    const info = await stat(target);
    const bundle = recordOf(name, info.mtimeMs, contents);
    this.files.set(name, { size: info.size, mtimeMs: info.mtimeMs, bundle });
    return bundle;
  }

  private async unlinkFile(name: string): Promise<void> {
    await unlink(join(this.dir, name)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    this.files.delete(name);
  }

  /** Store what is known and publish a new index. */
  private async changed(): Promise<void> {
    this.current = this.build();
    const files = Object.fromEntries(this.files);
    if (!this.options.signal.aborted) await this.options.store.update((doc) => void (doc.files = files));
  }

  private build(): LibraryIndex {
    const records: BundleRecord[] = [];
    const problems: Problem[] = [];
    for (const [file, cached] of this.files) {
      if ('bundle' in cached) records.push(cached.bundle);
      else problems.push({ file, ...cached.problem, size: cached.size, modified: new Date(cached.mtimeMs).toISOString() });
    }
    return new LibraryIndex(records, problems, ++this.generation);
  }

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function sameFile(cached: CachedFile | undefined, file: ListedFile): cached is CachedFile {
  return cached !== undefined && cached.size === file.size && cached.mtimeMs === file.mtimeMs;
}

function problemOf(err: { code: string; message: string }): { code: string; reason: string } {
  return { code: err.code, reason: err.message };
}


async function inParallel<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}
