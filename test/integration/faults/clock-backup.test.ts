/**
 * The wall clock stepped under a running backup server (a bad RTC, a wrong
 * NTP answer, then set right), through the test-only
 * SUGAR_SERVER_TEST_CLOCK_FILE offset: a laptop keeps backing up with the real
 * ssh and rsync, retention never takes a laptop's history because the clock
 * says a year has passed, the snapshot taken once the clock is right again is
 * the one `datastore-latest` names and restores, and maintenance mode holds
 * laptops back with the same Retry-After however the clock moves.
 */
import { mkdtemp, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateJournal, Laptop } from 'sugaroid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupServer } from '../backup/backup-server.js';

const DAY = 86_400_000;
let work: string;
let offsetFile: string;
let server: BackupServer;
const laptop = Laptop.create();
let journal: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'clock-backup-'));
  offsetFile = join(work, 'clock-offset');
  await writeFile(offsetFile, '0');
  // Every backup is admitted: the availability window is not what this suite is about.
  server = await BackupServer.start('keep_all = 7d\nkeep_weekly = 8\nkeep_monthly = 12\n', undefined, () => ({ env: { SUGAR_SERVER_TEST_CLOCK_FILE: offsetFile } }));
  await server.register(laptop);
  journal = join(work, 'journal');
  await generateJournal(journal, { bytes: 64 * 1024, entries: 4 });
}, 60_000);
afterAll(async () => {
  await server?.daemon.dispose();
  await rm(work, { recursive: true, force: true });
});

const setClock = (days: number) => writeFile(offsetFile, String(Math.round(days * DAY)));

/** One ds-backup run with the clock `days` off; resolves with the snapshot it made. */
async function backupAt(days: number): Promise<string> {
  await setClock(days);
  const before = (await server.laptop(laptop.serial)).lastBackup;
  // A changed entry each time, so each snapshot can be told from the others.
  await writeFile(join(journal, `entry-${days}`), `written with the clock ${days} days off\n`);
  await laptop.backup('127.0.0.1', { ...server.ports(), journal });
  return (await server.waitForBackup(laptop.serial, before)).latest!;
}

describe('the clock stepped under the backup server', () => {
  it('a year forward keeps the laptop\'s history; set right again, the new snapshot is the latest and restores', async () => {
    const history = [await backupAt(-60), await backupAt(-30), await backupAt(-1)];
    expect(new Set(history).size).toBe(3);

    const ahead = await backupAt(365);
    const afterJump = (await server.snapshots(laptop.serial)).map((s) => s.name);
    // Before retention counted the weeks and months holding snapshots, a year ahead pruned all three.
    expect(afterJump).toEqual(expect.arrayContaining([...history, ahead]));

    const righted = await backupAt(0);
    expect(righted).not.toBe(ahead);
    const snapshots = await server.snapshots(laptop.serial);
    expect(snapshots.map((s) => s.name)).toEqual(expect.arrayContaining([...history, ahead, righted]));
    expect(snapshots.find((s) => s.latest)?.name).toBe(righted);
    expect(await readlink(join(server.users, laptop.serial, 'datastore-latest'))).toBe(righted);

    const restored = await laptop.restore('127.0.0.1', { sshPort: server.sshPort, into: join(work, 'restored'), expect: journal });
    expect(restored.verified).toBe(true);
  }, 120_000);

  it('maintenance mode answers with the Retry-After it was given, whichever way the clock steps', async () => {
    const available = `${server.daemon.url}/backup/1/available/${laptop.serial}`;
    await server.daemon.cli('maintenance', 'on', '--retry-after', '10m', '--reason', 'clock test');
    try {
      for (const days of [0, 400, -400, 0]) {
        await setClock(days);
        const answer = await fetch(available);
        expect(answer.status, `clock ${days} days off`).toBe(503);
        expect(answer.headers.get('retry-after'), `clock ${days} days off`).toBe('600');
      }
    } finally {
      await server.daemon.cli('maintenance', 'off');
    }
    expect((await fetch(available)).status).toBe(200);
  });
});
