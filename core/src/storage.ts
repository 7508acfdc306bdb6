/**
 * Each plugin's document, held in memory by lowdb and kept on disk as a
 * snapshot plus a journal of changes, so that a write costs what it changed,
 * never the size of the document. A write is acknowledged only once it is on
 * disk:
 *  - journaled: `update(change)` records what the change set or deleted (see
 *    storage/change-log.ts) and appends it as one checksummed record;
 *  - grouped: writers that arrive while a flush runs share the next flush (one
 *    write, one fdatasync), and each caller's promise settles with the flush
 *    that holds its change;
 *  - compacted: when the journal outgrows a share of the snapshot, the store
 *    starts a new journal and a worker folds the closed ones into a new
 *    snapshot (atomic rename), while writers go on appending;
 *  - single writer: one daemon per data folder (see DataDirLock).
 * At open the document is the snapshot plus every journal record after it; a
 * torn last record (never acknowledged) is cut off, damage in the middle stops
 * the open with the file and offset.
 */
import { existsSync } from 'node:fs';
import { mkdir, open, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Low, type Adapter } from 'lowdb';
import { ServerErrors, withCause } from './errors.js';
import type { Logger } from './log.js';
import { recordChanges } from './storage/change-log.js';
import { compactInWorker, type Compactor } from './storage/compact.js';
import { checkDeclared, FIRST_DOCUMENT_VERSION, migrateDocument, type DocumentVersion, type StoreWriter } from './storage/document.js';
import { readTextIfExists, syncDir, truncateDurably } from './storage/durable.js';
import { journalFile, listJournals, removeTemps, snapshotFile } from './storage/files.js';
import { encodeRecord, JOURNAL_MAGIC } from './storage/journal.js';
import { replayJournals } from './storage/replay.js';
import { readSnapshot, writeSnapshot } from './storage/snapshot.js';

export { syncDir } from './storage/durable.js';
export type { DocumentMigration, DocumentVersion, StoreWriter } from './storage/document.js';

/** A plugin's document: read `data`, change it with `update`, await the disk. */
export interface Store<T> {
  /** The current state. Change it only inside `update`. */
  readonly data: T;
  /** Apply `change` now; resolves once a flush holding it is on disk. */
  update(change: (data: T) => void): Promise<void>;
  /** Resolves once everything changed so far is on disk. */
  flush(): Promise<void>;
}

export interface StoreOptions {
  /** The version of the document's shape this code reads, and how older ones are brought up to it (version 1 when absent). */
  readonly document?: DocumentVersion;
  /** Who opens the store (a plugin's package and version), for messages; `sugar-server` when absent. */
  readonly writer?: StoreWriter;
  /** How closed journals are folded into a snapshot (a worker thread by default). */
  readonly compactor?: Compactor;
  /** Compact once the journal is over this many bytes and over `compactRatio` of the snapshot. */
  readonly compactMinBytes?: number;
  readonly compactRatio?: number;
}

/** What opening found, for the log. */
export interface OpenReport {
  /** The file of the single-file format this store was moved from, if it was. */
  readonly migratedFrom: string | null;
  /** The document version found, when the document was migrated from it to `document`. */
  readonly documentFrom: number | null;
  /** The document's version now. */
  readonly document: number;
  readonly records: number;
  readonly tornBytes: number;
}

/** What opening a store found that an admin should know: a move, a migration, a cut-off tail. */
export function logOpened(log: Logger, report: OpenReport): void {
  const { migratedFrom, documentFrom, document, tornBytes } = report;
  if (migratedFrom) log.info({ from: migratedFrom }, 'store moved to the journaled format');
  if (documentFrom !== null) log.info({ from: documentFrom, to: document }, `store document migrated from version ${documentFrom} to ${document}`);
  if (tornBytes) log.warn({ tornBytes }, 'store journal ended in a torn record (a write never acknowledged); cut off');
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

/** The store's folder for the document once kept whole in `file` (`stores/x.json` -> `stores/x/`). */
export function storeDir(file: string): string {
  return join(dirname(file), basename(file, '.json'));
}

/**
 * lowdb's reading side: the document is the snapshot plus the journals after
 * it, with a store in the single-file format of earlier versions moved on the
 * way, and a document of an older version migrated. Nothing is written until
 * the document is whole and migrated: a refusal or a throwing migration leaves
 * every file as it was. Writes do not go through `write` (that would rewrite
 * the whole document); it is kept for lowdb's contract and writes a fresh
 * snapshot.
 */
class JournaledAdapter<T> implements Adapter<T> {
  report: OpenReport = { migratedFrom: null, documentFrom: null, document: FIRST_DOCUMENT_VERSION, records: 0, tornBytes: 0 };
  /** Set by read: the journal to append to, its good length, and the bytes of snapshot and journals. */
  journal = 1;
  journalEnd = 0;
  snapshotBytes = 0;
  journalBytes = 0;

  constructor(
    private readonly dir: string,
    private readonly legacyFile: string,
    private readonly defaults: T,
    private readonly declared: DocumentVersion,
    private readonly writer: StoreWriter,
  ) {}

  async read(): Promise<T> {
    const file = snapshotFile(this.dir);
    const snapshot = await readSnapshot<T>(file);
    let data: T;
    let first: number;
    let stored: number;
    let legacy: T | null = null;
    if (snapshot) {
      ({ data, journal: first, document: stored } = snapshot);
      this.snapshotBytes = snapshot.bytes;
    } else {
      legacy = await readLegacy<T>(this.legacyFile);
      // A document the single-file format kept is version 1; a new one is made in the shape this code declares.
      data = legacy ?? structuredClone(this.defaults);
      stored = legacy !== null ? FIRST_DOCUMENT_VERSION : this.declared.version;
      first = 1;
    }
    if (stored > this.declared.version) throw ServerErrors.STORE_TOO_NEW(file, stored, this.declared.version, this.writer);

    const journals = await listJournals(this.dir);
    const live = journals.filter((j) => j >= first);
    live.forEach((n, i) => {
      if (n !== first + i) throw ServerErrors.STORE_CORRUPT(journalFile(this.dir, first + i), 'this journal is missing, and later ones exist');
    });
    const last = live.length ? live[live.length - 1]! : first;
    const replayed = live.length ? await replayJournals(data as object, this.dir, first, last, true) : { records: 0, bytes: 0, lastEnd: 0, tornBytes: 0 };

    const migrating = stored < this.declared.version;
    if (migrating) {
      data = migrateDocument(file, this.writer, data, stored, this.declared) as T;
      // One rename records the migrated document, its version and the journals it absorbed: a crash
      // before it leaves the old version to migrate again, after it the absorbed journals are stale.
      first = last + 1;
    }
    if (!snapshot || migrating) this.snapshotBytes = await writeSnapshot(file, data, first, this.declared.version);
    // A move or a migration that stopped after its snapshot was written: the old file is stale.
    if (existsSync(this.legacyFile)) await this.dropLegacy();
    for (const n of journals.filter((j) => j < first)) await unlink(journalFile(this.dir, n));
    if (migrating && journals.length) await syncDir(this.dir);

    this.journal = migrating ? first : last;
    this.journalEnd = migrating ? 0 : replayed.lastEnd;
    this.journalBytes = migrating ? 0 : replayed.bytes;
    this.report = {
      migratedFrom: legacy !== null ? this.legacyFile : null,
      documentFrom: migrating ? stored : null,
      document: this.declared.version,
      records: replayed.records,
      tornBytes: replayed.tornBytes,
    };
    return data;
  }

  async write(data: T): Promise<void> {
    this.snapshotBytes = await writeSnapshot(snapshotFile(this.dir), data, this.journal + 1, this.declared.version);
  }

  private async dropLegacy(): Promise<void> {
    await unlink(this.legacyFile);
    await syncDir(dirname(this.legacyFile));
  }
}

async function readLegacy<T>(file: string): Promise<T | null> {
  const text = await readTextIfExists(file);
  if (text === null) return null;
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw withCause(ServerErrors.STORE_CORRUPT(file, (err as Error).message), err);
  }
}

export class JsonStore<T> implements Store<T> {
  /** Records waiting for the next flush. */
  private pending: Buffer[] = [];
  private inflight: Promise<void> | null = null;
  /** The flush that changes made now will ride on. */
  private next: Deferred | null = null;
  private compaction: Promise<void> | null = null;
  private closed = false;

  private constructor(
    private readonly low: Low<T>,
    private readonly adapter: JournaledAdapter<T>,
    private readonly dir: string,
    private handle: FileHandle,
    /** The journal's length: where the next flush starts, and where a failed one is cut back to. */
    private length: number,
    private readonly options: Required<Pick<StoreOptions, 'compactor' | 'compactMinBytes' | 'compactRatio'>>,
  ) {}

  /**
   * Open (creating if absent) the store for `file`: its folder `stores/<name>/`
   * beside it. A document still kept whole in `file` (the format before
   * journals) is migrated into the folder.
   */
  static async open<T>(file: string, defaults: T, options: StoreOptions = {}): Promise<JsonStore<T>> {
    const dir = storeDir(file);
    await mkdir(dir, { recursive: true });
    await removeTemps(dir);
    await removeTemps(dirname(file), `.${basename(file)}.`);
    const declared = options.document ?? { version: FIRST_DOCUMENT_VERSION };
    const writer = options.writer ?? { name: 'sugar-server' };
    checkDeclared(snapshotFile(dir), writer, declared);
    const adapter = new JournaledAdapter<T>(dir, file, defaults, declared, writer);
    const low = new Low<T>(adapter, structuredClone(defaults));
    await low.read();
    const { handle, length } = await openJournal(dir, adapter.journal, adapter.journalEnd);
    return new JsonStore(low, adapter, dir, handle, length, {
      compactor: options.compactor ?? compactInWorker,
      compactMinBytes: options.compactMinBytes ?? 1024 * 1024,
      compactRatio: options.compactRatio ?? 0.5,
    });
  }

  get data(): T {
    return this.low.data;
  }

  /** What opening found: a move or a migration, records replayed, a torn tail cut off. */
  get opened(): OpenReport {
    return this.adapter.report;
  }

  update(change: (data: T) => void): Promise<void> {
    if (this.closed) return Promise.reject(ServerErrors.STORE_CORRUPT(this.dir, 'the store is closed'));
    const { payload, error } = recordChanges(this.low.data as object, change as (view: object) => void);
    // What the change did before it threw is in memory, so it goes to disk too.
    if (payload) this.pending.push(encodeRecord(payload));
    if (error !== undefined) return Promise.reject(error);
    return this.flush();
  }

  flush(): Promise<void> {
    if (!this.pending.length && !this.next) return this.inflight ? this.inflight.catch(() => {}) : Promise.resolve();
    const next = (this.next ??= deferred());
    if (!this.inflight) this.startFlush();
    return next.promise;
  }

  /** Flush, let a running compaction finish, and close the journal. */
  async close(): Promise<void> {
    await this.flush().catch(() => {});
    await this.compaction;
    this.closed = true;
    await this.handle.close();
  }

  private startFlush(): void {
    const waiting = this.next!;
    this.next = null;
    const batch = this.pending;
    this.pending = [];
    this.inflight = this.append(batch)
      .then(waiting.resolve, waiting.reject)
      .finally(() => {
        this.inflight = null;
        if (this.next) this.startFlush();
      });
  }

  private async append(batch: Buffer[]): Promise<void> {
    if (batch.length === 0) return;
    const bytes = batch.length === 1 ? batch[0]! : Buffer.concat(batch);
    const end = this.length;
    try {
      await this.handle.writeFile(bytes);
      await this.handle.datasync();
      this.length += bytes.length;
    } catch (err) {
      // Cut what reached the file, and keep the records for the next flush:
      // memory already holds them, so the disk must get them in this order.
      await this.handle.truncate(end).catch(() => {});
      this.pending = [...batch, ...this.pending];
      throw withCause(ServerErrors.STORE_WRITE(this.dir, describeFsError(err)), err);
    }
    this.adapter.journalBytes += bytes.length;
    if (!this.compaction && this.adapter.journalBytes > Math.max(this.options.compactMinBytes, this.adapter.snapshotBytes * this.options.compactRatio)) {
      await this.startCompaction();
    }
  }

  /** Called between flushes: close this journal, start the next, fold the closed ones in beside the writers. */
  private async startCompaction(): Promise<void> {
    const upTo = this.adapter.journal;
    const next = await openJournal(this.dir, upTo + 1, 0);
    await this.handle.close();
    this.handle = next.handle;
    this.length = next.length;
    this.adapter.journal = upTo + 1;
    const carried = this.adapter.journalBytes;
    this.adapter.journalBytes = 0;
    this.compaction = this.options
      .compactor({ dir: this.dir, upTo })
      .then(async (snapshotBytes) => {
        this.adapter.snapshotBytes = snapshotBytes;
        for (const n of await listJournals(this.dir)) if (n <= upTo) await unlink(journalFile(this.dir, n));
        await syncDir(this.dir);
      })
      .catch(() => {
        // The closed journals stay and are replayed at the next open; try again later.
        this.adapter.journalBytes += carried;
      })
      .finally(() => {
        this.compaction = null;
      });
  }
}

/** `ENOSPC: no space left on device, write` reads as the fault an admin can act on. */
function describeFsError(err: unknown): string {
  const { code, message } = err as NodeJS.ErrnoException;
  return code && !message.startsWith(code) ? `${code}: ${message}` : message;
}

/**
 * Open journal `n` for appending, creating it (with its magic, durably) or
 * cutting a torn tail at `end`; with the length it has then.
 */
async function openJournal(dir: string, n: number, end: number): Promise<{ handle: FileHandle; length: number }> {
  const file = journalFile(dir, n);
  const size = await stat(file).then((s) => s.size, () => -1);
  if (size < JOURNAL_MAGIC.length) {
    const created = await open(file, 'w', 0o600);
    try {
      await created.write(JOURNAL_MAGIC);
      await created.sync();
    } finally {
      await created.close();
    }
    await syncDir(dir);
  } else if (size > end) {
    await truncateDurably(file, end);
  }
  // O_APPEND: every write lands at the end, whatever else moved the offset.
  return { handle: await open(file, 'a', 0o600), length: Math.max(Math.min(size, end), JOURNAL_MAGIC.length) };
}
