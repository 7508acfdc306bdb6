import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger, Store } from 'sugar-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EMPTY_BACKUPS, type BackupDocument } from './backup-records.js';
import { BackupService } from './backup-service.js';
import { LaptopFolders } from './laptop-folder.js';
import { VolumePruner } from './volume-pruner.js';

const BIG = 'SHC0000000A';
const SMALL = 'SHC0000000B';
const snap = (day: number) => `datastore-2026-06-0${day}_12:00`;

describe('VolumePruner', () => {
  let root: string;
  let folders: LaptopFolders;
  let service: BackupService;
  const logged: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const log = Object.fromEntries(['info', 'warn', 'error', 'debug'].map((level) => [level, (fields: Record<string, unknown>, message: string) => void logged.push({ level, fields, message })])) as unknown as Logger;

  /** A laptop's folder with one file of `bytes` in each snapshot (days given), datastore-latest at the last. */
  async function laptop(serial: string, days: number[], bytes: number): Promise<void> {
    for (const day of days) {
      await mkdir(join(root, serial, snap(day)), { recursive: true });
      await writeFile(join(root, serial, snap(day), 'data'), Buffer.alloc(bytes));
    }
    await symlink(snap(days.at(-1)!), join(root, serial, 'datastore-latest'));
  }

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'backup-volume-'));
    folders = new LaptopFolders(root);
    logged.length = 0;
    const data: BackupDocument = structuredClone(EMPTY_BACKUPS);
    const store: Store<BackupDocument> = { data, update: async (change) => change(data), flush: async () => {} };
    service = new BackupService({ folders, store, policy: { keepAllMs: 0, weeks: 0, months: 0 }, log, now: () => 0 });
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  /** Times the volume's size was read: once a check. */
  let sized = 0;
  /** What the laptops' records add up to. */
  let recorded = 0;
  const pruner = (quota: { percent: number } | { bytes: number }) =>
    new VolumePruner({ service, folders, quota, recordedUsage: () => recorded, volumeSize: async () => (sized++, 10_000), log, now: () => Date.UTC(2026, 5, 10) });

  it('removes the oldest snapshots of the laptop over its fair share until the backups fit, and logs each with the laptop', async () => {
    await laptop(BIG, [1, 2, 3], 1000);
    await laptop(SMALL, [1, 2], 50);
    // 15 % of 10,000 bytes: 1,500 against 3,100 held; fair share 750.
    const volume = pruner({ percent: 15 });
    await volume.check();
    expect((await readdir(join(root, BIG))).sort()).toEqual([snap(3), 'datastore-latest']);
    expect((await readdir(join(root, SMALL))).sort()).toEqual([snap(1), snap(2), 'datastore-latest']);
    const removals = logged.filter((l) => l.message === 'backup volume over its quota: snapshot removed').map((l) => l.fields);
    expect(removals).toEqual([
      expect.objectContaining({ serial: BIG, snapshot: snap(1), round: 1, fairShare: 750, quota: 1500 }),
      expect.objectContaining({ serial: BIG, snapshot: snap(2), round: 2 }),
    ]);
    expect(volume.report()).toMatchObject({
      setting: '15%', quota: 1500, used: 1100, laptops: 2, fairShare: 750, overQuota: false, removedSinceStart: 2,
      checkedAt: '2026-06-10T00:00:00.000Z',
      lastRemoval: { at: '2026-06-10T00:00:00.000Z', removed: [{ serial: BIG, snapshot: snap(1), round: 1 }, { serial: BIG, snapshot: snap(2), round: 2 }] },
    });
    expect(service.usage(BIG)).toBe(1000);
  });

  it('keeps every laptop\'s newest snapshot and says the volume is still over its quota', async () => {
    await laptop(BIG, [1, 2], 1000);
    const volume = pruner({ bytes: 100 });
    await volume.check();
    expect((await readdir(join(root, BIG))).sort()).toEqual([snap(2), 'datastore-latest']);
    expect(volume.report()).toMatchObject({ setting: '100', used: 1000, overQuota: true, removedSinceStart: 1 });
    expect(logged.some((l) => l.level === 'warn' && /still over its quota/.test(l.message))).toBe(true);
    expect(await service.removeForVolume(BIG, snap(2))).toBe(false);
  });

  it('does nothing while the backups fit, and nothing at all with volume_quota = 0', async () => {
    await laptop(BIG, [1, 2], 1000);
    const fits = pruner({ percent: 70 });
    await fits.check();
    expect(fits.report()).toMatchObject({ quota: 7000, used: 2000, removedSinceStart: 0, lastRemoval: null });
    const off = pruner({ bytes: 0 });
    await off.check();
    expect(off.report()).toMatchObject({ setting: null, checkedAt: null });
    expect(await readdir(join(root, BIG))).toHaveLength(3);
  });

  it('runs one check at a time, and once more for the checks asked for meanwhile', async () => {
    await laptop(BIG, [1, 2, 3], 1000);
    const volume = pruner({ percent: 15 });
    sized = 0;
    await Promise.all([volume.check(), volume.check(), volume.check()]);
    expect(sized).toBe(2);
    expect(logged.filter((l) => l.message === 'backup volume over its quota: snapshot removed')).toHaveLength(2);
    expect(volume.report().removedSinceStart).toBe(2);
    await volume.check();
    expect(sized).toBe(3);
  });

  it('after a snapshot, walks the folders only when the usage recorded adds up to more than the quota', async () => {
    await laptop(BIG, [1, 2, 3], 1000);
    const volume = pruner({ bytes: 1500 });
    recorded = 1400;
    await volume.afterSnapshot();
    expect(volume.report().checkedAt).toBeNull();
    expect(await readdir(join(root, BIG))).toHaveLength(4);
    recorded = 3000;
    await volume.afterSnapshot();
    expect(volume.report()).toMatchObject({ checkedAt: '2026-06-10T00:00:00.000Z', removedSinceStart: 2 });
  });
});
