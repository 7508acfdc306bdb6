/**
 * No laptop can change an earlier snapshot. A snapshot's files are the same
 * inodes as datastore-current's until a transfer replaces them, so whatever
 * the laptop's rsync asks the server's rsync to do in place (permissions,
 * times, groups, attributes, extra hard links, writing into a file) would
 * reach every snapshot sharing the file. Each laptop here backs up as
 * ds-backup does, then sends its changed tree with one set of options, over
 * the real ssh and rsync; every file, folder and symlink of its snapshot must
 * keep its content, mode, owner, mtime and inode, and its link count may only
 * fall. Devices and special files (FIFOs) are never stored.
 */
import { chmod, cp, link, lstat, lutimes, mkdir, mkdtemp, rm, symlink, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DS_BACKUP_RSYNC_OPTIONS, generateJournal, Laptop } from 'sugaroid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filesUnder } from '../../harness/index.js';
import { BackupServer } from './backup-server.js';
import { runTool } from './run-tool.js';
import { rsyncAs } from './ssh-as-laptop.js';
import { ageAccessTimes, treeChanges, treeState } from './tree-state.js';

const DAY_S = 86_400;

let work: string;
let server: BackupServer;
/** The laptop's Journal as backed up first. */
let journal: string;
/** The same Journal later: half the files with new permissions, half with new times but the same bytes, a symlink touched, a new hard link, a FIFO. */
let changed: string;
/** Files of `changed` whose times (not bytes) changed. */
let retimed: string[];


beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'backup-earlier-'));
  // Every variant is a new laptop asking first: more than the default 10 laptops in 5 minutes.
  server = await BackupServer.start('max_clients = 1000\n');
  journal = join(work, 'journal');
  await generateJournal(journal, { bytes: 48 * 1024, entries: 4 });
  await symlink('version', join(journal, 'version-link'));
  const old = new Date(Date.now() - 3 * DAY_S * 1000);
  await lutimes(join(journal, 'version-link'), old, old);

  changed = join(work, 'changed');
  await cp(journal, changed, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
  const files = await filesUnder(changed);
  retimed = files.filter((_, i) => i % 2 === 1);
  const later = new Date(Date.now() - DAY_S * 1000);
  for (const [i, file] of files.entries()) {
    if (i % 2 === 0) await chmod(join(changed, file), 0o775);
    else await utimes(join(changed, file), later, later);
  }
  await lutimes(join(changed, 'version-link'), later, later);
  // Names a file whose size and time are unchanged: with -H the server's rsync would link the snapshot's inode to it.
  await link(join(changed, files[0]!), join(changed, 'another-name'));
  expect((await runTool('mkfifo', [join(changed, 'fifo')])).code).toBe(0);
});
afterAll(async () => {
  await server?.daemon.dispose();
  await rm(work, { recursive: true, force: true });
});

/** A new laptop with one backup of `journal`; resolves with its folder and snapshot. */
async function backedUpLaptop(): Promise<{ laptop: Laptop; dir: string; snapshot: string }> {
  const laptop = Laptop.create();
  await server.register(laptop);
  await laptop.backup('127.0.0.1', { ...server.ports(), journal });
  const { latest } = await server.waitForBackup(laptop.serial, null);
  return { laptop, dir: join(server.users, laptop.serial), snapshot: join(server.users, laptop.serial, latest!) };
}

const REFUSED = /sugar-server: BACKUP_ERR_OPTION_REFUSED/;

describe('a laptop sending its changed Journal', () => {
  it.each([
    // What ds-backup sends, and options that only decide which files are sent again.
    ['ds-backup\'s own options', DS_BACKUP_RSYNC_OPTIONS, 'accepted'],
    ['-rlt -I (every file sent again)', ['-rlt', '-I'], 'accepted'],
    ['-rlt --modify-window', ['-rlt', '--modify-window=100000000'], 'accepted'],
    ['-rlt --ignore-existing', ['-rlt', '--ignore-existing'], 'accepted'],
    ['-rlt -u', ['-rlt', '-u'], 'accepted'],
    ['-rlt --delay-updates', ['-rlt', '--delay-updates', '--delete-after'], 'accepted'],
    ['-rlt -W -S --preallocate', ['-rlt', '-W', '-S', '--preallocate'], 'accepted'],
    ['-rlt -y (fuzzy)', ['-rlt', '-y'], 'accepted'],
    // Options that change a file the server already holds without rewriting it.
    ['-p', ['-rltp'], 'refused'],
    ['-a', ['-a'], 'refused'],
    ['-p --chmod', ['-rltp', '--chmod=a+rwx'], 'refused'],
    ['--chmod', ['-rlt', '--chmod=a+rwx'], 'accepted'],
    ['-E', ['-rltE'], 'refused'],
    ['--executability', ['-rlt', '--executability'], 'refused'],
    ['-c (a checksum match keeps the file, and -t sets its time in place)', ['-rltc'], 'refused'],
    ['--size-only', ['-rlt', '--size-only'], 'refused'],
    ['-o', ['-rlto'], 'refused'],
    ['-g', ['-rltg'], 'refused'],
    ['-o -g --numeric-ids', ['-rltog', '--numeric-ids'], 'refused'],
    ['-A', ['-rltA'], 'refused'],
    ['-X', ['-rltX'], 'refused'],
    ['-U', ['-rltU'], 'refused'],
    ['--atimes', ['-rlt', '--atimes'], 'refused'],
    ['-H (links new names to the snapshot\'s files)', ['-rltH'], 'refused'],
    ['--inplace', ['-rlt', '--inplace'], 'refused'],
    ['--append', ['-rlt', '--append'], 'refused'],
    ['--append-verify', ['-rlt', '--append-verify'], 'refused'],
    ['--super', ['-rlt', '--super'], 'refused'],
    ['-D', ['-rltD'], 'refused'],
    ['--specials', ['-rlt', '--specials'], 'refused'],
    ['--devices', ['-rlt', '--devices'], 'refused'],
  ] as const)('with %s leaves the earlier snapshot as it was', async (_what, options, outcome) => {
    const { laptop, dir, snapshot } = await backedUpLaptop();
    await ageAccessTimes(snapshot, await treeState(snapshot));
    const before = await treeState(snapshot);
    const run = await rsyncAs(laptop, { sshPort: server.sshPort }, [...options, `${changed}/`, '{}:datastore-current']);
    expect(treeChanges(before, await treeState(snapshot))).toEqual([]);
    // Never a FIFO on the server, whatever was accepted.
    expect(await lstat(join(dir, 'datastore-current', 'fifo')).catch(() => null)).toBeNull();
    if (outcome === 'refused') {
      expect(run.code).not.toBe(0);
      expect(run.stderr).toMatch(REFUSED);
    } else {
      expect(run, run.stderr).toMatchObject({ code: 0 });
    }
  });

  it('with ds-backup\'s options, still brings the new times into datastore-current and the next snapshot', async () => {
    const { laptop, dir } = await backedUpLaptop();
    const { lastBackup } = await server.laptop(laptop.serial);
    await laptop.backup('127.0.0.1', { ...server.ports(), journal: changed });
    const second = await server.waitForBackup(laptop.serial, lastBackup);
    for (const file of retimed) {
      const sent = (await lstat(join(changed, file), { bigint: true })).mtimeNs;
      expect((await lstat(join(dir, 'datastore-current', file), { bigint: true })).mtimeNs).toBe(sent);
      expect((await lstat(join(dir, second.latest!, file), { bigint: true })).mtimeNs).toBe(sent);
    }
  });
});

describe('a restore', () => {
  it('reads the snapshot without touching it, access times included', async () => {
    const { laptop, snapshot } = await backedUpLaptop();
    await ageAccessTimes(snapshot, await treeState(snapshot));
    const before = await treeState(snapshot);
    expect(await laptop.restore('127.0.0.1', { sshPort: server.sshPort, into: join(work, `restored-${laptop.serial}`) })).toMatchObject({ verified: true });
    expect(treeChanges(before, await treeState(snapshot))).toEqual([]);
  });
});

describe('devices and special files', () => {
  it('are left out of a snapshot even when datastore-current holds one', async () => {
    const { laptop, dir } = await backedUpLaptop();
    // As a backup taken before -D was refused would have left it.
    expect((await runTool('mkfifo', [join(dir, 'datastore-current', 'old-fifo')])).code).toBe(0);
    await mkdir(join(dir, 'datastore-current', 'deeper'), { recursive: true });
    expect((await runTool('mkfifo', [join(dir, 'datastore-current', 'deeper', 'fifo')])).code).toBe(0);
    const { lastBackup } = await server.laptop(laptop.serial);
    const done = join(work, `done-${laptop.serial}`);
    await cp(join(journal, 'index_updated'), done);
    expect((await rsyncAs(laptop, { sshPort: server.sshPort }, ['-rlt', done, `{}:/var/lib/ds-backup/completion/${laptop.serial}`])).code).toBe(0);
    const { latest } = await server.waitForBackup(laptop.serial, lastBackup);
    const snapshot = await treeState(join(dir, latest!));
    expect([...snapshot].filter(([, entry]) => entry.type === 'other').map(([path]) => path)).toEqual([]);
    expect(snapshot.get('version-link')?.type).toBe('symlink');
  });
});
