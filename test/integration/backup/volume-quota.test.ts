/**
 * The backup volume kept under its quota by the running daemon: a laptop
 * holding earlier snapshots, and a second laptop backing up as ds-backup
 * does; the snapshot of that backup puts the volume over its quota, and the daemon removes the oldest snapshot of the laptop over
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
const DAY_MS = 86_400_000;

/** `datastore-YYYY-MM-DD_HH:MM` for `days` ago: within keep_all, so retention keeps it. */
const snapshotName = (days: number) => `datastore-${new Date(Date.now() - days * DAY_MS).toISOString().slice(0, 16).replace('T', '_')}`;
const OLD = [snapshotName(3), snapshotName(2), snapshotName(1)];

let work: string;
let server: BackupServer;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'backup-volume-'));
  // 700 KiB for all backups: with two laptops, a fair share of 350 KiB each.
  server = await BackupServer.start('volume_quota = 700k\n');
});
afterAll(async () => {
  await server?.daemon.dispose();
  await rm(work, { recursive: true, force: true });
});

async function journalOf(name: string, bytes: number): Promise<string> {
  const journal = join(work, name);
  await generateJournal(journal, { bytes, entries: 4 });
  return journal;
}

describe('volume_quota', () => {
  const keeper = Laptop.create();
  const newcomer = Laptop.create();

  it('removes the oldest snapshot of the laptop over its fair share after a backup puts the volume over its quota', async () => {
    await server.register(keeper);
    await server.register(newcomer);
    // The keeper's folder holds three earlier snapshots of 200 KiB each, sharing no file; its backup adds one.
    const folder = join(server.users, keeper.serial);
    for (const name of OLD) {
      await mkdir(join(folder, name), { recursive: true });
      await writeFile(join(folder, name, 'data'), Buffer.alloc(200 * KIB, name));
    }
    await symlink(OLD.at(-1)!, join(folder, 'datastore-latest'));
    await keeper.backup('127.0.0.1', { ...server.ports(), journal: await journalOf('keeper', 40 * KIB) });
    const kept = await server.waitForBackup(keeper.serial, null);
    expect(kept.usage).toBeLessThan(700 * KIB);

    // The newcomer's backup (about 150 KiB) brings the volume over 700 KiB.
    await newcomer.backup('127.0.0.1', { ...server.ports(), journal: await journalOf('newcomer', 150 * KIB) });
    const { latest } = await server.waitForBackup(newcomer.serial, null);

    const removal = await server.daemon.waitForLog((l) => l.msg === 'backup volume over its quota: snapshot removed', 20_000);
    expect(removal).toMatchObject({ serial: keeper.serial, snapshot: OLD[0], round: 1, fairShare: 350 * KIB, quota: 700 * KIB });
    await server.daemon.waitForLog((l) => l.msg === 'backup volume back under its quota');
    expect((await readdir(folder)).filter((name) => name.startsWith('datastore-2')).sort()).toEqual([OLD[1], OLD[2], kept.latest].sort());
    expect((await server.snapshots(newcomer.serial)).map((s) => s.name)).toEqual([latest]);
    expect(server.daemon.logs.filter((l) => l.msg === 'backup volume over its quota: snapshot removed')).toHaveLength(1);
  });

  it('shows the volume and what the quota removed in sugar-server backup status, and figures only in /status', async () => {
    const json = await server.daemon.cli('backup', 'status', '--json');
    expect(json.code).toBe(0);
    const { volume } = JSON.parse(json.stdout) as { volume: VolumeReport };
    expect(volume).toMatchObject({ setting: String(700 * KIB), quota: 700 * KIB, laptops: 2, fairShare: 350 * KIB, overQuota: false, removedSinceStart: 1 });
    expect(volume.used).toBeLessThanOrEqual(700 * KIB);
    expect(volume.lastRemoval?.removed).toEqual([{ serial: keeper.serial, snapshot: OLD[0], round: 1 }]);

    const text = await server.daemon.cli('backup', 'status');
    expect(text.stdout).toMatch(/backup volume: [\d.]+ MB held of a 0\.7 MB quota, 2 laptop\(s\), fair share 0\.3 MB each/);
    expect(text.stdout).toMatch(new RegExp(`${keeper.serial}\\s+${OLD[0]}\\s+\\(round 1\\)`));

    const details = server.daemon.plugin(await server.daemon.status(), 'backup')?.details;
    expect(details).toMatchObject({ volumeQuota: String(700 * KIB), quota: 700 * KIB, laptops: 2, removedSinceStart: 1, overQuota: false });
    expect(JSON.stringify(details)).not.toContain(keeper.serial);
  });
});
