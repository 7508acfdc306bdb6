/**
 * Backups under faults, with the real ssh and rsync on both ends: the backup
 * volume fills up before and during a transfer, the server's rsync is killed
 * mid-transfer or missing, the volume goes read-only. Each time the laptop is
 * told (503 and back-off, or rsync's error), no snapshot is made, the earlier
 * snapshot and datastore-latest stay whole and restorable, and the next backup
 * succeeds once the fault clears, without a restart.
 */
import { copyFile, cp, mkdir, mkdtemp, readlink, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareTrees, generateJournal, isSugaroidError, Laptop, SugaroidErrors } from 'sugaroid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupServer } from '../backup/backup-server.js';
import { runTool } from '../backup/run-tool.js';
import { DataVolume, onSmallVolume } from './data-volume.js';

let work: string;
let server: BackupServer;
let volume: DataVolume;
/** The rsync the daemon runs: a copy the tests can take away and put back. */
let rsync: string;
const laptop = Laptop.create();
let journal: string;
/** The Journal as it was at the first backup, and that snapshot's name. */
let kept: string;
let first: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'backup-faults-'));
  await mkdir(join(work, 'bin'));
  rsync = join(work, 'bin', 'rsync');
  await copyFile('/usr/bin/rsync', rsync);
  await runTool('chmod', ['755', rsync]);
  server = await BackupServer.start(`rsync_path = ${rsync}\nmax_disk_use = 99\n`, undefined, (root) => ({ wrap: onSmallVolume(root, '96m') }));
  volume = new DataVolume(server.daemon);
  await server.register(laptop);
  journal = join(work, 'journal');
  await generateJournal(journal, { bytes: 512 * 1024, entries: 8 });
  await laptop.backup('127.0.0.1', { ...server.ports(), journal });
  first = (await server.waitForBackup(laptop.serial, null)).latest!;
  kept = join(work, 'journal-first');
  await cp(journal, kept, { recursive: true });
}, 60_000);
afterAll(async () => {
  await server?.daemon.dispose();
  await rm(work, { recursive: true, force: true });
});

/** The laptop's folder as the daemon sees it. */
const folder = () => volume.path('backup/users', laptop.serial);

/** The first snapshot is still the latest, whole and restorable. */
async function lastGoodKept(): Promise<void> {
  expect(await readlink(join(folder(), 'datastore-latest'))).toBe(first);
  expect(await compareTrees(kept, join(folder(), first))).toEqual([]);
  expect((await server.laptop(laptop.serial)).latest).toBe(first);
  const restored = await laptop.restore('127.0.0.1', { sshPort: server.sshPort, into: join(work, `restore-${Date.now()}`), expect: kept });
  expect(restored.verified).toBe(true);
}

/** A backup of a changed Journal goes through now; the change stays in the Journal. */
async function nextBackupSucceeds(tag: string): Promise<void> {
  const extra = join(journal, `zz-${tag}`);
  await generateJournal(extra, { bytes: 128 * 1024, entries: 2 });
  const before = (await server.laptop(laptop.serial)).lastBackup;
  await laptop.backup('127.0.0.1', { ...server.ports(), journal, backoffBaseMs: 1 });
  const summary = await server.waitForBackup(laptop.serial, before);
  expect(await compareTrees(journal, join(folder(), summary.latest!))).toEqual([]);
  // Later faults compare against this one.
  first = summary.latest!;
  await rm(kept, { recursive: true });
  await cp(journal, kept, { recursive: true });
}

/** A Journal change bigger than `bytes`, made of large entries (rsync's compression gains nothing on them). */
async function bigChange(tag: string, bytes: number): Promise<string> {
  const dir = join(journal, `zz-${tag}`);
  await generateJournal(dir, { bytes, entries: 4, largeEntries: 4, largeShare: 1 });
  return dir;
}

describe('the backup volume full', () => {
  it('before the backup: the availability check answers 503 naming the volume, and ds-backup backs off and gives up', async () => {
    await volume.fill();
    try {
      const answer = await fetch(`http://127.0.0.1:${server.httpPort}/backup/1/available/${laptop.serial}`);
      expect(answer.status).toBe(503);
      const logged = await server.daemon.waitForLog((l) => l.serial === laptop.serial && l.status === 503);
      expect(logged.reason).toMatch(/the backup volume is 100\.0 % full \(max_disk_use 99\.0 %\)/);
      await expect(laptop.backup('127.0.0.1', { ...server.ports(), journal, backoffBaseMs: 1 })).rejects.toSatisfy((err) => SugaroidErrors.BUSY.is(err));
      await lastGoodKept();
    } finally {
      await volume.clear();
    }
    await nextBackupSucceeds('after-full');
  });

  it('during the transfer: rsync\'s "No space left on device" reaches the laptop, no snapshot is made, and the next backup succeeds once space is freed', async () => {
    // Room for the check (under max_disk_use) but not for the change.
    await volume.fill(8 * 1024 * 1024);
    const big = await bigChange('too-big', 24 * 1024 * 1024);
    try {
      const outcome = await laptop.backup('127.0.0.1', { ...server.ports(), journal, backoffBaseMs: 1 }).then(() => 'finished', (err: unknown) => err);
      expect(isSugaroidError(outcome) && outcome.code).toBe('SUGAROID_ERR_TRANSFER');
      expect((outcome as Error).message).toMatch(/No space left on device/);
      const failed = await server.daemon.waitForLog((l) => l.msg === 'transfer failed' && l.serial === laptop.serial);
      expect(failed.stderr).toMatch(/No space left on device/);
      await lastGoodKept();
    } finally {
      await rm(big, { recursive: true });
      await volume.clear();
    }
    await nextBackupSucceeds('after-enospc');
  });
});

describe('the server\'s rsync', () => {
  it('killed mid-transfer: the laptop sees the transfer fail, no snapshot is made, and the next backup succeeds', async () => {
    const big = await bigChange('killed', 48 * 1024 * 1024);
    const logsBefore = server.daemon.logs.length;
    const backup = laptop.backup('127.0.0.1', { ...server.ports(), journal }).then(() => 'finished', (err: unknown) => err);
    await server.daemon.waitForLog((l) => l.msg === 'transfer started' && l.serial === laptop.serial && server.daemon.logs.indexOf(l) >= logsBefore, 20_000);
    // The SSH process's child named rsync: the one serving this laptop's transfer.
    const ssh = (await server.sshProcess()).pid;
    expect(ssh).toEqual(expect.any(Number));
    let killed = false;
    for (let tries = 0; tries < 200 && !killed; tries++) {
      killed = (await runTool('pkill', ['-KILL', '-P', String(ssh), '-x', 'rsync'])).code === 0;
      if (!killed) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(killed).toBe(true);
    const outcome = await backup;
    expect(isSugaroidError(outcome) && outcome.code).toBe('SUGAROID_ERR_TRANSFER');
    const failed = await server.daemon.waitForLog((l) => l.msg === 'transfer failed' && l.serial === laptop.serial && server.daemon.logs.indexOf(l) >= logsBefore);
    expect(failed).toMatchObject({ signal: 'SIGKILL' });
    await rm(big, { recursive: true });
    await lastGoodKept();
    await nextBackupSucceeds('after-kill');
  });

  it('missing: the laptop is told BACKUP_ERR_NO_RSYNC, and once rsync is back the next backup succeeds', async () => {
    await rename(rsync, `${rsync}.away`);
    try {
      const outcome = await laptop.backup('127.0.0.1', { ...server.ports(), journal }).then(() => 'finished', (err: unknown) => err);
      expect(isSugaroidError(outcome) && outcome.code).toBe('SUGAROID_ERR_TRANSFER');
      expect((outcome as Error).message).toContain(`sugar-server: BACKUP_ERR_NO_RSYNC: rsync at ${rsync} cannot be run`);
      await server.daemon.waitForLog((l) => l.msg === 'transfer failed' && String(l.stderr).startsWith('BACKUP_ERR_NO_RSYNC'));
    } finally {
      await rename(`${rsync}.away`, rsync);
    }
    await lastGoodKept();
    await nextBackupSucceeds('after-missing');
  });
});

describe('the backup volume read-only', () => {
  it('refuses the transfer with rsync\'s "Read-only file system", keeps the last snapshot, and backs up again once writable', async () => {
    await volume.readOnly();
    try {
      const extra = await bigChange('read-only', 256 * 1024);
      const outcome = await laptop.backup('127.0.0.1', { ...server.ports(), journal }).then(() => 'finished', (err: unknown) => err);
      expect(isSugaroidError(outcome) && outcome.code).toBe('SUGAROID_ERR_TRANSFER');
      expect((outcome as Error).message).toMatch(/Read-only file system/);
      await rm(extra, { recursive: true });
      await lastGoodKept();
    } finally {
      await volume.writable();
    }
    await nextBackupSucceeds('after-read-only');
  });
});
