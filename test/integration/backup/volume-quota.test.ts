/**
 * The backup volume kept under its quota by the running daemon: a laptop
 * holding old snapshots (as a folder brought over from the old XS would) and
 * a laptop backing up as ds-backup does; the snapshot of that backup sets off
 * the check, and the daemon removes the oldest snapshot of the laptop over
 * its fair share, logs it, and shows it in `sugar-server backup status` and
 * /status.
 */
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VolumeReport } from 'sugar-server-backup';
import { generateJournal, Laptop } from 'sugaroid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupServer } from './backup-server.js';

const KIB = 1024;
const OLD = ['datastore-2026-01-01_12:00', 'datastore-2026-01-02_12:00', 'datastore-2026-01-03_12:00'];

let work: string;
let server: BackupServer;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'backup-volume-'));
  // 600 KiB for all backups: two laptops, a fair share of 300 KiB each.
  server = await BackupServer.start('volume_quota = 600k\n');
});
afterAll(async () => {
  await server?.daemon.dispose();
  await rm(work, { recursive: true, force: true });
});

describe('volume_quota', () => {
  const keeper = Laptop.create();
  const newcomer = Laptop.create();

  it('removes the oldest snapshot of the laptop over its fair share after a backup puts the volume over its quota', async () => {
    await server.register(keeper);
    await server.register(newcomer);
    // The keeper's folder: three snapshots of 200 KiB each, none sharing a file.
    const folder = join(server.users, keeper.serial);
    for (const name of OLD) {
      await mkdir(join(folder, name), { recursive: true });
      await writeFile(join(folder, name, 'data'), Buffer.alloc(200 * KIB, name));
    }
    await symlink(OLD.at(-1)!, join(folder, 'datastore-latest'));

    // The newcomer's backup (about 150 KiB) brings the volume to about 750 KiB.
    const journal = join(work, 'newcomer');
    await generateJournal(journal, { bytes: 150 * KIB, entries: 6 });
    await newcomer.backup('127.0.0.1', { ...server.ports(), journal });
    const { latest } = await server.waitForBackup(newcomer.serial, null);

    const removal = await server.daemon.waitForLog((l) => l.msg === 'backup volume over its quota: snapshot removed', 20_000);
    expect(removal).toMatchObject({ serial: keeper.serial, snapshot: OLD[0], round: 1, fairShare: 300 * KIB, quota: 600 * KIB });
    await server.daemon.waitForLog((l) => l.msg === 'backup volume back under its quota');
    expect((await readdir(folder)).sort()).toEqual([OLD[1], OLD[2], 'datastore-latest']);
    expect((await server.snapshots(newcomer.serial)).map((s) => s.name)).toEqual([latest]);
  });

  it('shows the volume and what the quota removed in sugar-server backup status, and figures only in /status', async () => {
    const json = await server.daemon.cli('backup', 'status', '--json');
    expect(json.code).toBe(0);
    const { volume } = JSON.parse(json.stdout) as { volume: VolumeReport };
    expect(volume).toMatchObject({ setting: String(600 * KIB), quota: 600 * KIB, laptops: 2, fairShare: 300 * KIB, overQuota: false, removedSinceStart: 1 });
    expect(volume.used).toBeLessThanOrEqual(600 * KIB);
    expect(volume.lastRemoval?.removed).toEqual([{ serial: keeper.serial, snapshot: OLD[0], round: 1 }]);

    const text = await server.daemon.cli('backup', 'status');
    expect(text.stdout).toMatch(/backup volume: [\d.]+ MB held of a 0\.6 MB quota, 2 laptop\(s\), fair share 0\.3 MB each/);
    expect(text.stdout).toMatch(new RegExp(`${keeper.serial}\\s+${OLD[0]}\\s+\\(round 1\\)`));

    const details = server.daemon.plugin(await server.daemon.status(), 'backup')?.details;
    expect(details).toMatchObject({ volumeQuota: String(600 * KIB), quota: 600 * KIB, laptops: 2, removedSinceStart: 1, overQuota: false });
    expect(JSON.stringify(details)).not.toContain(keeper.serial);
  });
});
