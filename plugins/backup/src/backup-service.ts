/**
 * The laptops' backups as a whole: what happens when a laptop's completion file
 * arrives (snapshot, prune, measure, record), one laptop at a time, and what
 * the admin API and the busy checks read.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger, Store } from 'sugar-server';
import type { BackupDocument, LaptopRecord, SnapshotRecord } from './backup-records.js';
import { BackupErrors } from './errors.js';
import { COMPLETION, type LaptopFolders } from './laptop-folder.js';
import { snapshotsToPrune, type RetentionPolicy } from './retention.js';
import { isSerial } from 'sugar-server-registry';
import { latestSnapshot, listSnapshots, recover, removeSnapshot, takeSnapshot } from './snapshots.js';
import { folderUsage } from './usage.js';

export interface BackupServiceDeps {
  readonly folders: LaptopFolders;
  readonly store: Store<BackupDocument>;
  readonly policy: RetentionPolicy;
  readonly log: Logger;
  now(): number;
  /** Told after each snapshot taken (the volume quota is checked then); must not wait for the laptop's queue. */
  onSnapshot?(serial: string): void;
}

/** One snapshot as the admin sees it. */
export interface SnapshotInfo {
  readonly name: string;
  /** The minute in its name, ISO 8601. */
  readonly time: string;
  readonly latest: boolean;
  /** Its figures, when this server made it (null for one found on disk). */
  readonly bytes: number | null;
  readonly files: number | null;
  readonly entries: number | null;
}

/** One laptop as the admin sees it. */
export interface LaptopSummary {
  readonly serial: string;
  readonly nick: string | null;
  readonly registered: boolean;
  readonly lastBackup: string | null;
  readonly snapshots: number;
  readonly latest: string | null;
  /** Bytes and Journal entries of the latest snapshot. */
  readonly bytes: number | null;
  readonly entries: number | null;
  /** Bytes the laptop's folder holds, each file once. */
  readonly usage: number;
}

const NO_RECORD: LaptopRecord = { lastBackup: null, usage: 0, snapshots: {} };

export class BackupService {
  /** Per laptop, the end of its queued work (settled, never rejected). */
  private readonly queues = new Map<string, Promise<void>>();

  constructor(private readonly deps: BackupServiceDeps) {}

  /** Repair every laptop's folder after a crash (see snapshots.ts). */
  async recoverAll(): Promise<void> {
    for (const serial of await this.serialsOnDisk()) {
      await recover(this.deps.folders.dir(serial)).catch((err: unknown) =>
        this.deps.log.error({ err, serial }, 'could not repair the laptop\'s folder'));
    }
  }

  record(serial: string): LaptopRecord {
    const { laptops } = this.deps.store.data;
    return Object.hasOwn(laptops, serial) ? laptops[serial]! : NO_RECORD;
  }

  usage(serial: string): number {
    return this.record(serial).usage;
  }

  /** Every laptop's usage as last measured, added up. */
  /** Laptops known here whose last backup is older than `staleMs` (or that never completed one): `[backup] stale_after`. */
  overdue(staleMs: number, now: number): number {
    let count = 0;
    for (const record of Object.values(this.deps.store.data.laptops)) {
      if (record.lastBackup === null || now - Date.parse(record.lastBackup) >= staleMs) count++;
    }
    return count;
  }

  totalUsage(): number {
    return Object.values(this.deps.store.data.laptops).reduce((sum, record) => sum + record.usage, 0);
  }

  /** The laptop sent its completion file: snapshot, prune and measure, after any earlier work for it. Never rejects. */
  completed(serial: string): Promise<void> {
    return this.enqueue(serial, () => this.snapshot(serial));
  }

  /**
   * Remove snapshot `name` to bring the volume under its quota, after any
   * earlier work for the laptop, and measure the folder again. Resolves false,
   * removing nothing, when the snapshot is gone or has become the laptop's
   * newest or the one datastore-latest points to.
   */
  removeForVolume(serial: string, name: string): Promise<boolean> {
    return this.enqueue(serial, async () => {
      const dir = this.deps.folders.dir(serial);
      const snapshots = await listSnapshots(dir);
      const kept = [snapshots.at(-1)?.name, await latestSnapshot(dir)];
      if (!snapshots.some((s) => s.name === name) || kept.includes(name)) return false;
      await removeSnapshot(dir, name);
      const usage = await folderUsage(dir);
      await this.deps.store.update((data) => {
        const old = Object.hasOwn(data.laptops, serial) ? data.laptops[serial]! : NO_RECORD;
        const figures = { ...old.snapshots };
        delete figures[name];
        data.laptops[serial] = { ...old, usage, snapshots: figures };
      });
      return true;
    });
  }

  /** Run `work` after the laptop's queued work; snapshots and removals of one laptop never overlap. */
  private enqueue<T>(serial: string, work: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(serial) ?? Promise.resolve();
    const next = previous.then(work);
    const settled = next.then(() => {}, () => {});
    this.queues.set(serial, settled);
    void settled.then(() => {
      if (this.queues.get(serial) === settled) this.queues.delete(serial);
    });
    return next;
  }

  private async snapshot(serial: string): Promise<void> {
    const { log, policy } = this.deps;
    const dir = this.deps.folders.dir(serial);
    const started = Date.now();
    // The completion file has done its job once the snapshot is attempted; a later backup sends a new one.
    const clearCompletion = () => rm(join(dir, COMPLETION), { recursive: true, force: true }).catch(() => {});
    try {
      const now = this.deps.now();
      const taken = await takeSnapshot(dir, now);
      await clearCompletion();
      const latest = await latestSnapshot(dir);
      const pruned = snapshotsToPrune(await listSnapshots(dir), now, policy, latest);
      for (const name of pruned) await removeSnapshot(dir, name);
      const usage = await folderUsage(dir);
      const takenAt = new Date(now).toISOString();
      const figures: SnapshotRecord = { bytes: taken.counts.bytes, files: taken.counts.files, entries: taken.counts.entries, takenAt };
      await this.deps.store.update((data) => {
        const old = Object.hasOwn(data.laptops, serial) ? data.laptops[serial]! : NO_RECORD;
        const snapshots = { ...old.snapshots, [taken.name]: figures };
        for (const name of pruned) delete snapshots[name];
        data.laptops[serial] = { lastBackup: takenAt, usage, snapshots };
      });
      log.info({ serial, snapshot: taken.name, ...taken.counts, pruned, usage, ms: Date.now() - started }, 'backup complete: snapshot taken');
      this.deps.onSnapshot?.(serial);
    } catch (err) {
      await clearCompletion();
      const error = BackupErrors.SNAPSHOT_FAILED(serial, (err as Error).message);
      log.error({ err, serial, code: error.code }, error.message);
    }
  }

  /** The laptop's snapshots, oldest first. */
  async snapshots(serial: string): Promise<SnapshotInfo[]> {
    const dir = this.deps.folders.dir(serial);
    const latest = await latestSnapshot(dir);
    const figures = this.record(serial).snapshots;
    return (await listSnapshots(dir)).map(({ name, time }) => {
      const known = Object.hasOwn(figures, name) ? figures[name]! : null;
      return {
        name,
        time: new Date(time).toISOString(),
        latest: name === latest,
        bytes: known?.bytes ?? null,
        files: known?.files ?? null,
        entries: known?.entries ?? null,
      };
    });
  }

  /** The folder of snapshot `name` (or `latest`); throws BACKUP_ERR_NO_SNAPSHOT. */
  async snapshotPath(serial: string, name: string): Promise<{ name: string; path: string }> {
    const dir = this.deps.folders.dir(serial);
    const resolved = name === 'latest' ? await latestSnapshot(dir) : name;
    const exists = resolved !== null && (await listSnapshots(dir)).some((s) => s.name === resolved);
    if (!exists) throw BackupErrors.NO_SNAPSHOT(serial, name);
    return { name: resolved, path: join(dir, resolved) };
  }

  async summary(serial: string, registered: { nick: string } | undefined): Promise<LaptopSummary> {
    const record = this.record(serial);
    const snapshots = await this.snapshots(serial);
    const latest = snapshots.find((s) => s.latest) ?? null;
    return {
      serial,
      nick: registered?.nick ?? null,
      registered: registered !== undefined,
      lastBackup: record.lastBackup,
      snapshots: snapshots.length,
      latest: latest?.name ?? null,
      bytes: latest?.bytes ?? null,
      entries: latest?.entries ?? null,
      usage: record.usage,
    };
  }

  /** Serials with backups: recorded in the store or with a folder on disk. */
  async serialsWithBackups(): Promise<string[]> {
    const serials = new Set([...Object.keys(this.deps.store.data.laptops), ...(await this.serialsOnDisk())]);
    return [...serials].sort();
  }

  /** Serials with a folder on the backup volume. */
  async serialsOnDisk(): Promise<string[]> {
    const names = await readdir(this.deps.folders.root).catch(() => [] as string[]);
    return names.filter(isSerial);
  }
}
