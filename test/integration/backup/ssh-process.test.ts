/**
 * The backup SSH endpoint's process, with the real ssh and rsync on the
 * laptop's side: its bytes move while the daemon's own process is stopped
 * (so they are not the daemon's event loop's work), and when it is killed in
 * the middle of a backup the daemon goes on serving, the process comes back,
 * and the laptop's next backup succeeds.
 */
import { cp, mkdtemp, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareTrees, generateJournal, isSugaroidError, Laptop } from 'sugaroid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filesUnder, until } from '../../harness/index.js';
import { BackupServer } from './backup-server.js';

let work: string;
let server: BackupServer;
const laptop = Laptop.create();
let journal: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'backup-ssh-process-'));
  server = await BackupServer.start();
  await server.register(laptop);
  journal = join(work, 'journal');
  await generateJournal(journal, { bytes: 512 * 1024, entries: 8 });
  await laptop.backup('127.0.0.1', { ...server.ports(), journal });
  await server.waitForBackup(laptop.serial, null);
}, 60_000);
afterAll(async () => {
  await server?.daemon.dispose();
  await rm(work, { recursive: true, force: true });
});

/** Bytes in the laptop's folder on the server, rsync's temporary files included, each file as often as it is named. */
async function bytesStored(): Promise<number> {
  const dir = join(server.users, laptop.serial);
  let total = 0;
  for (const file of await filesUnder(dir)) total += (await stat(join(dir, file)).catch(() => ({ size: 0 }))).size;
  return total;
}

/** A Journal change of `bytes` in large entries (rsync's compression gains nothing on them). */
async function bigChange(tag: string, bytes: number): Promise<string> {
  const dir = join(journal, `zz-${tag}`);
  await generateJournal(dir, { bytes, entries: 4, largeEntries: 4, largeShare: 1 });
  return dir;
}

/** The next `transfer started` line for the laptop, from now on. */
function nextTransferStarted(): Promise<unknown> {
  const from = server.daemon.logs.length;
  return server.daemon.waitForLog((l) => l.msg === 'transfer started' && l.serial === laptop.serial && server.daemon.logs.indexOf(l) >= from, 20_000);
}

describe('the SSH process', () => {
  it('moves a backup\'s bytes while the daemon\'s own process is stopped, and the backup completes whole once it runs again', async () => {
    await bigChange('while-stopped', 128 * 1024 * 1024);
    const before = (await server.laptop(laptop.serial)).lastBackup;
    const stored = await bytesStored();
    const backup = laptop.backup('127.0.0.1', { ...server.ports(), journal }).then(() => 'finished', (err: unknown) => err);
    // The upload is under way: rsync runs and data arrives.
    await until(bytesStored, (bytes) => bytes >= stored + 4 * 1024 * 1024, 'the upload to begin', 30_000);
    const daemon = server.daemon.child.pid!;
    process.kill(daemon, 'SIGSTOP');
    let moved: number;
    try {
      const atStop = await bytesStored();
      // Nothing of the daemon's runs now: whatever reaches the laptop's folder went through the SSH process alone.
      const now = await until(bytesStored, (bytes) => bytes >= atStop + 16 * 1024 * 1024, 'the upload to go on while the daemon is stopped', 60_000);
      moved = now - atStop;
    } finally {
      process.kill(daemon, 'SIGCONT');
    }
    expect(moved).toBeGreaterThanOrEqual(16 * 1024 * 1024);
    expect(await backup).toBe('finished');
    const summary = await server.waitForBackup(laptop.serial, before);
    expect(await compareTrees(journal, join(server.users, laptop.serial, summary.latest!))).toEqual([]);
  }, 120_000);

  it('killed in the middle of a backup: the daemon keeps serving, the process comes back, and the next backup succeeds', async () => {
    const first = (await server.laptop(laptop.serial)).latest!;
    const kept = join(work, 'journal-kept');
    await cp(journal, kept, { recursive: true });
    const big = await bigChange('killed', 256 * 1024 * 1024);
    const { pid } = await server.sshProcess();
    expect(pid).toEqual(expect.any(Number));

    const started = nextTransferStarted();
    const backup = laptop.backup('127.0.0.1', { ...server.ports(), journal }).then(() => 'finished', (err: unknown) => err);
    await started;
    process.kill(pid!, 'SIGKILL');
    const outcome = await backup;
    expect(isSugaroidError(outcome) && outcome.code).toBe('SUGAROID_ERR_TRANSFER');
    const died = await server.daemon.waitForLog((l) => l.code === 'BACKUP_ERR_SSH_PROCESS');
    expect(died.msg).toMatch(/^the SSH endpoint's process was killed by SIGKILL/);
    await server.daemon.waitForLog((l) => l.msg === 'transfer failed' && l.serial === laptop.serial && /SSH endpoint's process was killed by SIGKILL/.test(String(l.stderr)));

    // The rest of the daemon never noticed: its status, the registry and the availability check answer.
    const status = await server.daemon.status();
    expect(server.daemon.plugin(status, 'backup')?.state).toBe('running');
    expect(server.daemon.plugin(status, 'registry')?.state).toBe('running');
    const newcomer = Laptop.create();
    await server.register(newcomer);
    expect((await fetch(`http://127.0.0.1:${server.httpPort}/backup/1/available/${newcomer.serial}`)).status).toBe(200);

    // Started again in its place; the last good snapshot is untouched.
    const again = await until(() => server.sshProcess(), (p) => p.pid !== null && p.pid !== pid, 'a new SSH process');
    expect(again.restarts).toBe(1);
    expect(await readlink(join(server.users, laptop.serial, 'datastore-latest'))).toBe(first);
    expect(await compareTrees(kept, join(server.users, laptop.serial, first))).toEqual([]);

    await rm(big, { recursive: true });
    await generateJournal(join(journal, 'zz-after-kill'), { bytes: 128 * 1024, entries: 2 });
    const before = (await server.laptop(laptop.serial)).lastBackup;
    await laptop.backup('127.0.0.1', { ...server.ports(), journal });
    const summary = await server.waitForBackup(laptop.serial, before);
    expect(await compareTrees(journal, join(server.users, laptop.serial, summary.latest!))).toEqual([]);
    // Nothing at error level but the process's death.
    expect(server.daemon.logs.filter((l) => l.level >= 50).map((l) => l.code)).toEqual(['BACKUP_ERR_SSH_PROCESS']);
  }, 180_000);

  it('switched off after it was started again, stops with the plugin, and the daemon goes on', async () => {
    // Killed with no connection since: the plugin's port has nothing left to hand over when it closes.
    const { pid } = await server.sshProcess();
    process.kill(pid!, 'SIGKILL');
    const again = await until(() => server.sshProcess(), (p) => p.pid !== null && p.pid !== pid, 'a new SSH process');
    await writeFile(join(server.daemon.root, 'etc/sugar-server/conf.d/60-backup-off.conf'), '[plugins]\nbackup = off\n');
    const status = await server.daemon.reload();
    expect(status.server.config.lastError).toBeFalsy();
    const backup = await until(async () => server.daemon.plugin(await server.daemon.status(), 'backup'), (p) => p?.state === 'disabled', 'backup switched off');
    expect(backup?.listeners ?? []).toEqual([]);
    expect(() => process.kill(again.pid!, 0)).toThrow(/ESRCH/);
    expect(server.daemon.plugin(await server.daemon.status(), 'registry')?.state).toBe('running');
    expect(server.daemon.logs.filter((l) => String(l.msg).includes('did not stop cleanly'))).toEqual([]);
  }, 60_000);
});
