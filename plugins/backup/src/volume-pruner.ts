/**
 * The backup volume's quota, applied: at start and every `volume_check`, and
 * after a snapshot when the laptops' usage as last measured adds up to more
 * than the quota, measure every laptop's folder (each file once), plan with
 * {@link planFairShare} and remove the planned snapshots through the laptops'
 * queues, so a removal never meets a snapshot being made. One check runs at a
 * time; a check asked for meanwhile runs once after it. Each removal is logged
 * with the laptop and the snapshot, and the last check is kept for
 * `sugar-server backup status` and `/status`.
 */
import type { Logger } from 'sugar-server';
import type { BackupService } from './backup-service.js';
import type { VolumeQuota } from './config.js';
import { planFairShare, type LaptopHoldings } from './fair-share.js';
import type { LaptopFolders } from './laptop-folder.js';
import { latestSnapshot, listSnapshots } from './snapshots.js';
import { folderShares } from './usage.js';

export interface VolumePrunerDeps {
  readonly service: BackupService;
  readonly folders: LaptopFolders;
  readonly quota: VolumeQuota;
  /** The laptops' usage as measured after their last snapshots, added up. */
  recordedUsage(): number;
  /** Bytes of the file system holding `path`. */
  volumeSize(path: string): Promise<number>;
  readonly log: Logger;
  now(): number;
}

/** A snapshot the quota removed. */
export interface VolumeRemoval {
  readonly serial: string;
  readonly snapshot: string;
  readonly round: number;
}

/** The volume as last checked. */
export interface VolumeReport {
  /** `70%` or bytes, as configured; null when there is no volume quota. */
  readonly setting: string | null;
  /** ISO 8601 time of the last check; null before the first. */
  readonly checkedAt: string | null;
  /** The quota in bytes (0: none). */
  readonly quota: number;
  /** Bytes the laptops' backups hold, each file once, after the check's removals. */
  readonly used: number;
  /** Laptops with backups on the volume. */
  readonly laptops: number;
  /** quota ÷ laptops. */
  readonly fairShare: number;
  /** Still over the quota: no laptop over its share had a snapshot left but its newest. */
  readonly overQuota: boolean;
  /** What the last check that removed anything removed, and when. */
  readonly lastRemoval: { readonly at: string; readonly removed: readonly VolumeRemoval[] } | null;
  /** Snapshots removed for the quota since the daemon started. */
  readonly removedSinceStart: number;
}

export class VolumePruner {
  private last: VolumeReport;
  private running: Promise<void> | null = null;
  private pending: Promise<void> | null = null;

  constructor(private readonly deps: VolumePrunerDeps) {
    const { quota } = deps;
    const setting = 'percent' in quota ? (quota.percent > 0 ? `${quota.percent}%` : null) : (quota.bytes > 0 ? String(quota.bytes) : null);
    this.last = { setting, checkedAt: null, quota: 0, used: 0, laptops: 0, fairShare: 0, overQuota: false, lastRemoval: null, removedSinceStart: 0 };
  }

  get enabled(): boolean {
    return this.last.setting !== null;
  }

  report(): VolumeReport {
    return this.last;
  }

  /** Check the volume now, or once more after the check under way. Never rejects. */
  check(): Promise<void> {
    if (!this.enabled) return Promise.resolve();
    if (this.pending) return this.pending;
    if (!this.running) {
      this.running = this.run().finally(() => (this.running = null));
      return this.running;
    }
    this.pending = this.running.then(() => {
      this.pending = null;
      return this.check();
    });
    return this.pending;
  }

  /**
   * After a snapshot: check when the recorded usage is over the quota. A
   * backup storm then costs one sum per snapshot, not a walk of every folder.
   */
  async afterSnapshot(): Promise<void> {
    if (!this.enabled) return;
    const quota = await this.quotaBytes().catch(() => 0);
    if (this.deps.recordedUsage() > quota) await this.check();
  }

  private async run(): Promise<void> {
    const { service, folders, log } = this.deps;
    try {
      const quota = await this.quotaBytes();
      const holdings: LaptopHoldings[] = [];
      for (const serial of await service.serialsOnDisk()) {
        const dir = folders.dir(serial);
        const shares = await folderShares(dir);
        if (shares.length === 0) continue;
        holdings.push({ serial, snapshots: (await listSnapshots(dir)).map((s) => s.name), latest: await latestSnapshot(dir), shares });
      }
      const plan = planFairShare(holdings, quota);
      const removed: VolumeRemoval[] = [];
      let used = plan.usedBefore;
      for (const { serial, snapshot, round, usage, freed } of plan.removals) {
        const done = await service.removeForVolume(serial, snapshot).catch((err: unknown) => {
          log.error({ err, serial, snapshot }, 'backup volume over its quota: snapshot could not be removed');
          return false;
        });
        if (!done) continue;
        used -= freed;
        removed.push({ serial, snapshot, round });
        log.info({ serial, snapshot, round, usage, freed, fairShare: Math.round(plan.fairShare), quota }, 'backup volume over its quota: snapshot removed');
      }
      const at = new Date(this.deps.now()).toISOString();
      this.last = {
        ...this.last,
        checkedAt: at,
        quota,
        used,
        laptops: holdings.length,
        fairShare: Math.round(plan.fairShare),
        overQuota: used > quota,
        lastRemoval: removed.length > 0 ? { at, removed } : this.last.lastRemoval,
        removedSinceStart: this.last.removedSinceStart + removed.length,
      };
      if (removed.length > 0 || used > quota) {
        const fields = { quota, usedBefore: plan.usedBefore, used, laptops: holdings.length, fairShare: Math.round(plan.fairShare), removed: removed.length };
        if (used > quota) log.warn(fields, 'backup volume still over its quota: every laptop over its fair share is down to its newest snapshot');
        else log.info(fields, 'backup volume back under its quota');
      }
    } catch (err) {
      log.error({ err }, 'backup volume quota check failed');
    }
  }

  private async quotaBytes(): Promise<number> {
    const { quota } = this.deps;
    if ('bytes' in quota) return quota.bytes;
    return Math.floor((await this.deps.volumeSize(this.deps.folders.root)) * quota.percent / 100);
  }
}
