/**
 * Replication passes: every laptop's snapshots not yet in the bucket are sent,
 * oldest first; snapshots that retention removed here are removed there; then,
 * when something was removed (or a grace period went by), unreferenced objects
 * are swept. Passes never overlap, so the sweep never runs beside an upload
 * that counts on an object being there; a pass asked for while one runs
 * follows it. Outside `replicate_windows` nothing is sent.
 */
import { join } from 'node:path';
import { isWithin, type Logger, type Store, type TimeWindow } from 'sugar-server';
import type { BackupDocument } from '../backup-records.js';
import { BackupErrors } from '../errors.js';
import type { LaptopFolders } from '../laptop-folder.js';
import { listSnapshots } from '../snapshots.js';
import type { Bucket } from './bucket.js';
import type { FoundEntry } from './manifest.js';
import type { ObjectIndex } from './object-index.js';
import { uploadSnapshot, type UploadDeps } from './snapshot-upload.js';
import { listManifests, sweepObjects } from './sweep.js';

export interface ReplicatorDeps extends Omit<UploadDeps, 'checkWindow' | 'onRetry' | 'index' | 'inFlight'> {
  /**
   * The index of objects in the bucket, opened by the first pass that needs
   * it (a rebuild lists the bucket): a gateway that is down when the daemon
   * starts fails that pass, not the backup service.
   */
  openIndex(): Promise<ObjectIndex>;
  readonly bucket: Bucket;
  readonly folders: LaptopFolders;
  readonly store: Store<BackupDocument>;
  readonly windows: readonly TimeWindow[];
  readonly graceMs: number;
  /** Written again without the objects a sweep deleted. */
  readonly identity: string;
  readonly log: Logger;
  serials(): Promise<string[]>;
  now(): number;
}

/** What `/status`, `/metrics` and `sugar-server backup status` show. */
export interface ReplicationStatus {
  readonly target: string;
  readonly encrypted: boolean;
  readonly state: 'idle' | 'replicating' | 'outside window' | 'failed';
  /** Left to check or send in the current (or last) pass. */
  readonly backlog: { readonly snapshots: number; readonly files: number; readonly bytes: number };
  readonly lastPass: PassFigures | null;
  readonly lastSuccess: string | null;
  readonly lastError: { readonly at: string; readonly code: string; readonly message: string } | null;
  /** Since the daemon started. */
  readonly totals: { readonly sentObjects: number; readonly sentFiles: number; readonly sentBytes: number; readonly skippedFiles: number; readonly snapshots: number; readonly sweptObjects: number };
  /** Per laptop, the newest snapshot in the bucket. */
  readonly laptops: Readonly<Record<string, string>>;
}

export interface PassFigures {
  readonly startedAt: string;
  readonly seconds: number;
  readonly snapshots: number;
  /** Objects written: packs, and large files' own objects. */
  readonly sentObjects: number;
  /** Files whose bytes were sent (the rest were in the bucket already). */
  readonly sentFiles: number;
  readonly sentBytes: number;
  readonly skippedFiles: number;
  /** Plain bytes sent per second over the pass. */
  readonly throughput: number;
  readonly prunedManifests: number;
  /** Objects and packs the sweep deleted. */
  readonly sweptObjects: number;
}

type PassCounts = { -readonly [K in Exclude<keyof PassFigures, 'startedAt' | 'seconds' | 'throughput'>]: number };

/** A snapshot to send, and its walk once counted. */
interface Pending {
  readonly serial: string;
  readonly name: string;
  readonly folder: string;
  found?: FoundEntry[];
}

/** Entries of walks kept between counting the backlog and sending: about 34 MB (340 bytes an entry, measured on Journal paths). */
const WALKS_KEPT = 100_000;

/** Snapshots (of different laptops) sent at once. */
const SNAPSHOTS_AT_ONCE = 3;

class OutsideWindow extends Error {}

export class Replicator {
  private running: Promise<void> | null = null;
  private again = false;
  private state: ReplicationStatus['state'] = 'idle';
  private backlog = { snapshots: 0, files: 0, bytes: 0 };
  private lastPass: PassFigures | null = null;
  private lastSuccess: string | null = null;
  private lastError: ReplicationStatus['lastError'] = null;
  /** A sweep runs when something was pruned, or once a grace period has gone by since start or the last sweep. */
  private lastSweep = Date.now();
  private readonly totals = { sentObjects: 0, sentFiles: 0, sentBytes: 0, skippedFiles: 0, snapshots: 0, sweptObjects: 0 };
  private index: ObjectIndex | null = null;

  constructor(
    private readonly deps: ReplicatorDeps,
    private readonly signal: AbortSignal,
  ) {}

  /** Start a pass now, or right after the running one; resolves when the pass that covers this call ends. Never rejects. */
  run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.pass();
      } while (this.again && !this.signal.aborted);
      this.running = null;
    })();
    return this.running;
  }

  /** After the last pass: release the index. */
  async close(): Promise<void> {
    await this.running?.catch(() => {});
    await this.index?.close().catch(() => {});
  }

  status(): ReplicationStatus {
    const laptops: Record<string, string> = {};
    for (const [serial, names] of Object.entries(this.deps.store.data.replicated ?? {})) if (names.length) laptops[serial] = names.at(-1)!;
    return {
      target: this.deps.bucket.url,
      encrypted: this.deps.sealing.encrypted,
      state: this.state,
      backlog: { ...this.backlog },
      lastPass: this.lastPass,
      lastSuccess: this.lastSuccess,
      lastError: this.lastError,
      totals: { ...this.totals },
      laptops,
    };
  }

  private inWindow(): boolean {
    return isWithin(this.deps.windows, new Date(this.deps.now()));
  }

  private async pass(): Promise<void> {
    const { log } = this.deps;
    const started = Date.now();
    const figures: PassCounts = { snapshots: 0, sentObjects: 0, sentFiles: 0, sentBytes: 0, skippedFiles: 0, prunedManifests: 0, sweptObjects: 0 };
    this.state = 'replicating';
    try {
      const pending = await this.pending();
      this.backlog = { snapshots: pending.length, files: 0, bytes: 0 };
      // The walks are kept for the uploads (up to a bound on memory; past it a snapshot is walked again when sent).
      let kept = 0;
      await Promise.all(pending.map(async (snapshot) => {
        const found = await this.deps.hashes.walk(snapshot.folder);
        for (const entry of found) {
          if (entry.type !== 'file') continue;
          this.backlog.files++;
          this.backlog.bytes += entry.size;
        }
        if (kept + found.length <= WALKS_KEPT) {
          kept += found.length;
          snapshot.found = found;
        }
      }));
      // The backlog is counted outside the windows too: it is what the admin waits for.
      if (!this.inWindow()) throw new OutsideWindow();
      const index = (this.index ??= await this.deps.openIndex());
      const uploadDeps: UploadDeps = {
        ...this.deps,
        index,
        inFlight: new Map(),
        checkWindow: () => {
          if (!this.inWindow()) throw new OutsideWindow();
        },
        onRetry: (err, attempt) => log.warn({ err, attempt, target: this.deps.bucket.url }, 'S3 transfer failed; trying again'),
      };
      // A few laptops at once, each laptop's snapshots in order: one snapshot's last pack and manifest go up while the next is read.
      const laptops = new Map<string, typeof pending>();
      for (const snapshot of pending) laptops.set(snapshot.serial, [...(laptops.get(snapshot.serial) ?? []), snapshot]);
      const lanes = [...laptops.values()];
      let stopped = false;
      const lane = async () => {
        for (let list = lanes.shift(); list && !stopped; list = lanes.shift()) {
          for (const snapshot of list) {
            if (stopped) return;
            await this.sendSnapshot(uploadDeps, snapshot, figures).catch((err: unknown) => {
              stopped = true;
              throw err;
            });
          }
        }
      };
      const results = await Promise.allSettled(Array.from({ length: SNAPSHOTS_AT_ONCE }, lane));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      figures.prunedManifests = await this.mirrorRetention();
      if (figures.prunedManifests > 0 || Date.now() - this.lastSweep >= this.deps.graceMs) {
        const swept = await sweepObjects(this.deps.bucket, this.deps.sealing, this.deps.graceMs, await this.deps.bucket.serverNow(this.signal), this.deps.concurrency, this.signal);
        const deleted = swept.deleted.length + swept.deletedPacks.length;
        if (deleted) await index.remove(swept.deleted, swept.deletedPacks, this.deps.identity);
        this.lastSweep = Date.now();
        figures.sweptObjects = deleted;
        this.totals.sweptObjects += deleted;
        if (deleted || swept.young) log.info({ deletedObjects: swept.deleted.length, deletedPacks: swept.deletedPacks.length, keptYoung: swept.young, manifests: swept.manifests }, 'bucket swept');
      }
      this.state = 'idle';
      this.lastSuccess = new Date(this.deps.now()).toISOString();
    } catch (err) {
      if (err instanceof OutsideWindow) {
        this.state = 'outside window';
      } else if (!this.signal.aborted) {
        const error = BackupErrors.REPLICATION_FAILED(this.deps.bucket.url, (err as Error).message);
        this.state = 'failed';
        this.lastError = { at: new Date(this.deps.now()).toISOString(), code: error.code, message: error.message };
        log.error({ err, code: error.code }, error.message);
      }
    } finally {
      const seconds = (Date.now() - started) / 1000;
      this.lastPass = { startedAt: new Date(started).toISOString(), seconds, ...figures, throughput: seconds > 0 ? Math.round(figures.sentBytes / seconds) : 0 };
    }
  }

  /** Send one snapshot, record it, count it. */
  private async sendSnapshot(uploadDeps: UploadDeps, snapshot: Pending, figures: PassCounts): Promise<void> {
    const { log } = this.deps;
    const { serial, name, folder } = snapshot;
    const found = snapshot.found;
    snapshot.found = undefined;
    const counts = await uploadSnapshot(uploadDeps, serial, name, folder, (bytes) => {
      this.backlog.files--;
      this.backlog.bytes -= bytes;
    }, this.signal, found);
    await this.deps.store.update((data) => {
      const replicated = (data.replicated ??= {});
      replicated[serial] = [...new Set([...(replicated[serial] ?? []), name])].sort();
    });
    this.backlog.snapshots--;
    figures.snapshots++;
    figures.sentObjects += counts.sentObjects;
    figures.sentFiles += counts.sentFiles;
    figures.sentBytes += counts.sentBytes;
    figures.skippedFiles += counts.skipped;
    this.totals.snapshots++;
    this.totals.sentObjects += counts.sentObjects;
    this.totals.sentFiles += counts.sentFiles;
    this.totals.sentBytes += counts.sentBytes;
    this.totals.skippedFiles += counts.skipped;
    log.info({ serial, snapshot: name, files: counts.files, bytes: counts.bytes, sentObjects: counts.sentObjects, sentFiles: counts.sentFiles, sentBytes: counts.sentBytes, skipped: counts.skipped }, 'snapshot replicated');
  }

  /** Every snapshot on disk that is not in the bucket yet, oldest first within each laptop. */
  private async pending(): Promise<Pending[]> {
    const replicated = this.deps.store.data.replicated ?? {};
    const pending: Pending[] = [];
    for (const serial of await this.deps.serials()) {
      const done = new Set(replicated[serial] ?? []);
      const dir = this.deps.folders.dir(serial);
      for (const { name } of await listSnapshots(dir)) if (!done.has(name)) pending.push({ serial, name, folder: join(dir, name) });
    }
    return pending;
  }

  /**
   * Delete the manifests of snapshots this server replicated and retention has
   * since removed here. Only those: a laptop folder lost with a dead disk, or a
   * snapshot this server never sent, leaves the bucket as it is.
   */
  private async mirrorRetention(): Promise<number> {
    const replicated = this.deps.store.data.replicated ?? {};
    const gone: { serial: string; name: string }[] = [];
    for (const [serial, names] of Object.entries(replicated)) {
      const onDisk = await listSnapshots(this.deps.folders.dir(serial));
      if (onDisk.length === 0) continue;
      const here = new Set(onDisk.map((s) => s.name));
      for (const name of names) if (!here.has(name)) gone.push({ serial, name });
    }
    if (gone.length === 0) return 0;
    const manifests = await listManifests(this.deps.bucket, this.signal);
    const keys = gone.flatMap(({ serial, name }) => (manifests.get(serial) ?? []).filter((m) => m.snapshot === name).map((m) => m.key));
    await this.deps.bucket.delete(keys, this.deps.concurrency, this.signal);
    await this.deps.store.update((data) => {
      const record = (data.replicated ??= {});
      for (const { serial, name } of gone) record[serial] = (record[serial] ?? []).filter((n) => n !== name);
    });
    this.deps.log.info({ snapshots: gone.length }, 'snapshots pruned here pruned in the bucket');
    return gone.length;
  }
}
