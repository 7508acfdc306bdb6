/**
 * The backup plugin as XO laptops and admins meet it: sugaroid laptops running
 * ds-backup's own sequence with the real ssh and rsync (availability check,
 * three transfers, completion), snapshots, restores checked byte for byte, the
 * busy and unknown-laptop answers, an old XO's DSA key over the old
 * algorithms, every way out of a laptop's folder tried by hand over the real
 * ssh client, and the daemon killed in the middle of a transfer.
 */
import { cp, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JournalEntry, LaptopSummary } from 'sugar-server-backup';
import { changeJournal, compareTrees, generateJournal, isSugaroidError, Laptop, SugaroidErrors } from 'sugaroid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupServer } from './backup/backup-server.js';
import { runTool } from './backup/run-tool.js';
import { rsyncAs, sshAs } from './backup/ssh-as-laptop.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'backup-suite-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A laptop's home: its Journal, power logs and Documents. */
async function laptopHome(name: string, journal: { bytes: number; entries: number; largeEntries?: number }) {
  const home = join(work, name);
  const datastore = join(home, '.sugar/default/datastore');
  await generateJournal(datastore, journal);
  await mkdir(join(home, 'power-logs'), { recursive: true });
  await writeFile(join(home, 'power-logs', 'pwr-2026-01-01.csv'), '1,2,3\n');
  await mkdir(join(home, 'Documents'));
  await writeFile(join(home, 'Documents', 'notes.txt'), 'homework');
  return { home, datastore, powerLogs: join(home, 'power-logs'), documents: join(home, 'Documents') };
}

describe('ds-backup against the daemon', () => {
  let server: BackupServer;
  const laptop = Laptop.create();
  let home: Awaited<ReturnType<typeof laptopHome>>;
  let first: LaptopSummary;
  /** The Journal as it was at the first backup. */
  let firstJournal: string;

  beforeAll(async () => {
    server = await BackupServer.start();
    home = await laptopHome('ana', { bytes: 4 * 1024 * 1024, entries: 60, largeEntries: 2 });
  });
  afterAll(() => server?.daemon.dispose());

  it('answers the availability check of a registered laptop with an empty 200 text/plain', async () => {
    await server.register(laptop);
    const response = await fetch(`http://127.0.0.1:${server.httpPort}/backup/1/available/${laptop.serial}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await response.text()).toBe('');
    await server.daemon.waitForLog((l) => l.msg === 'backup availability: 200 (go)' && l.serial === laptop.serial);
  });

  it('takes a backup the way ds-backup sends it: three transfers, completion, a dated snapshot', async () => {
    const result = await laptop.backup('127.0.0.1', { ...server.ports(), journal: home.datastore, powerLogs: home.powerLogs, documents: home.documents });
    expect(result.checks).toBe(1);
    expect(result.transfers.map((t) => t.destination)).toEqual(['datastore-current', 'power-logs', 'documents', `/var/lib/ds-backup/completion/${laptop.serial}`]);
    first = await server.waitForBackup(laptop.serial, null);
    expect(first).toMatchObject({ serial: laptop.serial, registered: true, snapshots: 1, entries: 60 });
    expect(first.latest).toMatch(/^datastore-\d{4}-\d{2}-\d{2}_\d{2}:\d{2}$/);

    // The old XS layout, in the laptop's own folder.
    const dir = join(server.users, laptop.serial);
    expect((await readdir(dir)).sort()).toEqual(['datastore-current', 'datastore-latest', first.latest!, 'documents', 'power-logs'].sort());
    expect(await readlink(join(dir, 'datastore-latest'))).toBe(first.latest);
    expect(await compareTrees(home.datastore, join(dir, first.latest!))).toEqual([]);
    expect(await readFile(join(dir, 'documents', 'notes.txt'), 'utf8')).toBe('homework');
    expect(await readFile(join(dir, 'power-logs', 'pwr-2026-01-01.csv'), 'utf8')).toBe('1,2,3\n');
    // ds-backup's -T /tmp reached the server, and was not passed to rsync.
    await server.daemon.waitForLog((l) => Array.isArray(l.dropped) && l.dropped.includes('--temp-dir=/tmp'));
    firstJournal = join(work, 'ana-first');
    await cp(home.datastore, firstJournal, { recursive: true });
  });

  it('restores datastore-latest byte for byte', async () => {
    const restored = await laptop.restore('127.0.0.1', { sshPort: server.sshPort, into: join(work, 'ana-restore-latest') });
    expect(restored).toMatchObject({ snapshot: 'datastore-latest', verified: true });
  });

  it('says replication is off where replicate_to is unset, with its code', async () => {
    const answer = await server.admin('/backup/v1/replication');
    expect(answer.status).toBe(409);
    expect(await answer.json()).toMatchObject({ error: { code: 'BACKUP_ERR_NOT_REPLICATED' } });
  });

  it('shows the admin the laptop, its snapshots and the Journal entries, and hands out entries and snapshots', async () => {
    const { laptops } = await server.adminJson<{ laptops: LaptopSummary[] }>('/backup/v1/laptops');
    expect(laptops).toContainEqual(expect.objectContaining({ serial: laptop.serial, snapshots: 1, latest: first.latest }));
    const page = await server.adminJson<{ total: number; entries: JournalEntry[] }>(`/backup/v1/laptops/${laptop.serial}/snapshots/latest/entries?limit=5`);
    expect(page.total).toBe(60);
    expect(page.entries).toHaveLength(5);
    const entry = page.entries[0]!;
    expect(entry).toMatchObject({ title: expect.any(String), activity: expect.stringMatching(/^org\.laptop\./), preview: true });

    const bundle = await server.admin(`/backup/v1/laptops/${laptop.serial}/snapshots/${encodeURIComponent(first.latest!)}/entries/${entry.uid}`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toBe('application/vnd.olpc-journal-entry');
    const zip = join(work, 'entry.xoj');
    await writeFile(zip, Buffer.from(await bundle.arrayBuffer()));
    const listing = await runTool('unzip', ['-Z1', zip]);
    expect(listing.stdout.trim().split('\n').sort()).toEqual([`${entry.uid}/${entry.uid}`, `${entry.uid}/_metadata.json`, `${entry.uid}/preview/${entry.uid}`].sort());

    const tar = await server.admin(`/backup/v1/laptops/${laptop.serial}/snapshots/latest/archive`);
    expect(tar.headers.get('content-type')).toBe('application/x-tar');
    const tarFile = join(work, 'snapshot.tar');
    await writeFile(tarFile, Buffer.from(await tar.arrayBuffer()));
    expect((await runTool('tar', ['-tf', tarFile])).stdout).toContain(`./${entry.uid.slice(0, 2)}/${entry.uid}/data`);

    expect((await server.admin(`/backup/v1/laptops/${laptop.serial}/snapshots/datastore-1999-01-01_00:00/entries`)).status).toBe(404);
    expect((await server.daemon.fetch('/backup/v1/laptops')).status).toBe(401);
  });

  it('answers 403 to an unregistered laptop, which then cannot log in over SSH either', async () => {
    const stranger = Laptop.create();
    const response = await fetch(`http://127.0.0.1:${server.httpPort}/backup/1/available/${stranger.serial}`);
    expect(response.status).toBe(403);
    expect(await response.text()).toBe('');
    await expect(stranger.backup('127.0.0.1', { ...server.ports(), journal: home.datastore })).rejects.toSatisfy((err) => SugaroidErrors.REFUSED.is(err));
    expect((await fetch(`http://127.0.0.1:${server.httpPort}/backup/1/available/..%2F..%2Fetc`)).status).toBe(403);
    const login = await rsyncAs(stranger, { sshPort: server.sshPort }, ['-rlt', `${home.datastore}/`, '{}:datastore-current']);
    expect(login.code).not.toBe(0);
    expect(login.stderr).toMatch(/Permission denied \(publickey\)/);
    await server.daemon.waitForLog((l) => l.msg === 'SSH key refused' && l.reason === 'the laptop is not registered');
  });

  it('refuses another laptop\'s key for this laptop\'s serial', async () => {
    const other = Laptop.create();
    await server.register(other);
    const impostor = new Laptop({ ...other.identity, serial: laptop.serial });
    const attempt = await rsyncAs(impostor, { sshPort: server.sshPort }, ['-rlt', `${home.datastore}/`, '{}:datastore-current']);
    expect(attempt.stderr).toMatch(/Permission denied \(publickey\)/);
    await server.daemon.waitForLog((l) => l.msg === 'SSH key refused' && l.reason === 'the key is not the one the laptop registered');
  });

  it('backs up and restores an old XO with a DSA key, over the algorithms its OpenSSH offers', async () => {
    const xo = Laptop.create({ keyType: 'dsa' });
    await server.register(xo);
    const xoHome = await laptopHome('old-xo', { bytes: 512 * 1024, entries: 10 });
    await xo.backup('127.0.0.1', { ...server.ports(), journal: xoHome.datastore, powerLogs: xoHome.powerLogs });
    await server.waitForBackup(xo.serial, null);
    expect(await xo.restore('127.0.0.1', { sshPort: server.sshPort, into: join(work, 'old-xo-restore') })).toMatchObject({ verified: true });
    await server.daemon.waitForLog((l) => l.msg === 'laptop logged in over SSH' && l.serial === xo.serial);
  });

  describe('keeps a laptop inside its own folder', () => {
    const victim = Laptop.create();
    const ssh = () => ({ sshPort: server.sshPort });
    const refusal = (code: string) => new RegExp(`sugar-server: ${code}`);

    beforeAll(async () => {
      await server.register(victim);
      await victim.backup('127.0.0.1', { ...server.ports(), journal: (await laptopHome('victim', { bytes: 64 * 1024, entries: 3 })).datastore });
      await server.waitForBackup(victim.serial, null);
    });

    it.each([
      ['another laptop\'s folder', 'rsync --server -ltre.iLsfxCIvu . ../VICTIM/datastore-current', 'BACKUP_ERR_PATH_REFUSED'],
      ['an absolute path', 'rsync --server -ltre.iLsfxCIvu . /etc/cron.d', 'BACKUP_ERR_PATH_REFUSED'],
      ['a snapshot, to write into it', 'rsync --server -ltre.iLsfxCIvu . datastore-latest', 'BACKUP_ERR_PATH_REFUSED'],
      ['another laptop\'s completion file', 'rsync --server -ltre.iLsfxCIvu . /var/lib/ds-backup/completion/VICTIM', 'BACKUP_ERR_PATH_REFUSED'],
      ['reading a file of the server', 'rsync --server --sender -ltre.iLsfxCIvu . /etc/passwd', 'BACKUP_ERR_PATH_REFUSED'],
      ['reading out of a snapshot with ..', 'rsync --server --sender -ltre.iLsfxCIvu . datastore-latest/../../VICTIM/datastore-latest/', 'BACKUP_ERR_PATH_REFUSED'],
      ['reading datastore-current (not a snapshot)', 'rsync --server --sender -ltre.iLsfxCIvu . datastore-current/', 'BACKUP_ERR_PATH_REFUSED'],
      ['--link-dest outside', 'rsync --server -ltre.iLsfxCIvu --link-dest=/etc . datastore-current', 'BACKUP_ERR_OPTION_REFUSED'],
      ['--files-from a server file', 'rsync --server -ltre.iLsfxCIvu --files-from=/etc/shadow . datastore-current', 'BACKUP_ERR_OPTION_REFUSED'],
      ['--log-file on the server', 'rsync --server -ltre.iLsfxCIvu --log-file=/etc/cron.d/x . datastore-current', 'BACKUP_ERR_OPTION_REFUSED'],
      ['--write-batch', 'rsync --server -ltre.iLsfxCIvu --write-batch=/tmp/b . datastore-current', 'BACKUP_ERR_OPTION_REFUSED'],
      ['--inplace into files snapshots share', 'rsync --server -ltre.iLsfxCIvu --inplace . datastore-current', 'BACKUP_ERR_OPTION_REFUSED'],
      ['-K, following symlinked folders', 'rsync --server -lKtre.iLsfxCIvu . datastore-current', 'BACKUP_ERR_OPTION_REFUSED'],
      ['--remove-source-files on a restore', 'rsync --server --sender -ltre.iLsfxCIvu --remove-source-files . datastore-latest/', 'BACKUP_ERR_OPTION_REFUSED'],
      ['--rsync-path', 'rsync --server -ltre.iLsfxCIvu --rsync-path=sh . datastore-current', 'BACKUP_ERR_OPTION_REFUSED'],
      ['a shell command', 'cat /etc/shadow', 'BACKUP_ERR_COMMAND_REFUSED'],
      ['rsync chained with a shell command', 'rsync --server . datastore-current; id', 'BACKUP_ERR_COMMAND_REFUSED'],
      ['rsync not as a server', 'rsync -a /etc/ datastore-current', 'BACKUP_ERR_COMMAND_REFUSED'],
    ])('refuses %s', async (_what, command, code) => {
      const result = await sshAs(laptop, ssh(), [], command.replaceAll('VICTIM', victim.serial));
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(refusal(code));
    });

    it('refuses a shell, sftp, TCP forwarding, ptys and environment variables', async () => {
      const shell = await sshAs(laptop, ssh(), ['-T']);
      expect(shell.code).toBe(255);
      expect(shell.stderr).toMatch(/shell request failed/);
      const sftp = await sshAs(laptop, ssh(), ['-s'], 'sftp');
      expect(sftp.code).toBe(255);
      expect(sftp.stderr).toMatch(/subsystem request failed/);
      const forward = await sshAs(laptop, ssh(), ['-W', `127.0.0.1:${server.httpPort}`]);
      expect(forward.code).toBe(255);
      expect(forward.stderr).toMatch(/open failed/);
      await sshAs(laptop, ssh(), ['-tt', '-o', 'SetEnv SUGAROID=1'], 'rsync --server --sender -r . datastore-latest/nothing-here');
      for (const what of ['the session request "shell"', 'the session request "sftp"', 'TCP forwarding', 'the session request "pty"', 'the session request "env"']) {
        await server.daemon.waitForLog((l) => l.code === 'BACKUP_ERR_REQUEST_REFUSED' && String(l.msg).startsWith(what));
      }
    });

    it('stores an uploaded symlink so it points nowhere on the server, gives it back as sent, and never writes through it', async () => {
      const mallory = Laptop.create();
      await server.register(mallory);
      const tree = join(work, 'symlinks');
      await mkdir(join(tree, 'ab'), { recursive: true });
      await symlink('/etc', join(tree, 'escape'));
      await symlink(`../../${victim.serial}`, join(tree, 'neighbour'));
      const upload = await rsyncAs(mallory, ssh(), ['-rlt', `${tree}/`, '{}:documents']);
      expect(upload.code).toBe(0);
      const stored = join(server.users, mallory.serial, 'documents');
      expect(await readlink(join(stored, 'escape'))).toMatch(/^\/rsyncd-munged\//);
      expect(await readlink(join(stored, 'neighbour'))).toMatch(/^\/rsyncd-munged\//);

      // Now send files "inside" those links: rsync replaces each link with a folder; nothing lands outside.
      const second = join(work, 'through-links');
      await mkdir(join(second, 'escape'), { recursive: true });
      await mkdir(join(second, 'neighbour', 'datastore-current'), { recursive: true });
      await writeFile(join(second, 'escape', 'sugar-server-escape-test'), 'x');
      await writeFile(join(second, 'neighbour', 'datastore-current', 'planted'), 'x');
      expect((await rsyncAs(mallory, ssh(), ['-rlt', `${second}/`, '{}:documents'])).code).toBe(0);
      expect(await lstat('/etc/sugar-server-escape-test').catch(() => null)).toBeNull();
      expect(await lstat(join(server.users, victim.serial, 'datastore-current', 'planted')).catch(() => null)).toBeNull();
      expect((await lstat(join(stored, 'escape'))).isDirectory()).toBe(true);

      // A restore cannot read through a link in a snapshot either: it points nowhere.
      await mallory.backup('127.0.0.1', { ...server.ports(), journal: tree });
      await server.waitForBackup(mallory.serial, null);
      const stolen = join(work, 'stolen');
      const through = await rsyncAs(mallory, ssh(), ['-rlt', '{}:datastore-latest/neighbour/datastore-current/', stolen]);
      expect(through.code).not.toBe(0);
      expect(await readdir(stolen).catch(() => [])).toEqual([]);
      // And a restore gives the links back as the laptop sent them.
      const back = join(work, 'links-back');
      expect((await rsyncAs(mallory, ssh(), ['-rlt', '{}:datastore-latest/', back])).code).toBe(0);
      expect(await readlink(join(back, 'escape'))).toBe('/etc');
      expect(await readlink(join(back, 'neighbour'))).toBe(`../../${victim.serial}`);
    });
  });

  it('after a change and a backup in a later minute, keeps both snapshots and restores the older one byte for byte', async () => {
    // Snapshots are named to the minute: let the minute of the first one pass.
    const wait = 60_000 - (Date.now() % 60_000) + 200;
    await new Promise((resolve) => setTimeout(resolve, wait));
    const changes = await changeJournal(home.datastore, { fraction: 0.05, add: 3, remove: 2 });
    expect(changes.changed.length).toBeGreaterThan(0);
    const before = (await server.laptop(laptop.serial)).lastBackup;
    await laptop.backup('127.0.0.1', { ...server.ports(), journal: home.datastore, powerLogs: home.powerLogs, documents: home.documents });
    const second = await server.waitForBackup(laptop.serial, before);
    expect(second.entries).toBe(61);
    const names = (await server.snapshots(laptop.serial)).map((s) => s.name);
    expect(names).toContain(first.latest);
    expect(names.at(-1)).toBe(second.latest);
    expect(second.latest).not.toBe(first.latest);

    expect(await laptop.restore('127.0.0.1', { sshPort: server.sshPort, into: join(work, 'ana-new') })).toMatchObject({ verified: true });
    const older = await laptop.restore('127.0.0.1', { sshPort: server.sshPort, snapshot: first.latest!, into: join(work, 'ana-old'), expect: firstJournal });
    expect(older.verified).toBe(true);
    await expect(laptop.restore('127.0.0.1', { sshPort: server.sshPort, snapshot: first.latest!, into: join(work, 'ana-old-2'), expect: home.datastore }))
      .rejects.toSatisfy((err) => isSugaroidError(err) && err.code === 'SUGAROID_ERR_RESTORE_MISMATCH');
  }, 150_000);

  it('lists laptops not backed up lately with sugar-server backup status', async () => {
    const unbacked = Laptop.create();
    await server.register(unbacked);
    const result = await server.daemon.cli('backup', 'status', '--days', '0', '--json');
    expect(result.code).toBe(0);
    const { laptops } = JSON.parse(result.stdout) as { laptops: LaptopSummary[] };
    expect(laptops[0]).toMatchObject({ serial: expect.any(String), lastBackup: null });
    expect(laptops.map((l) => l.serial)).toContain(unbacked.serial);
    const week = await server.daemon.cli('backup', 'status');
    expect(week.stdout).toMatch(new RegExp(`${unbacked.serial}\\s+xo-${unbacked.serial.toLowerCase()}\\s+never`));
    expect(week.stdout).not.toContain(laptop.serial);
  });
});

describe('when busy, and without the old algorithms', () => {
  let server: BackupServer;
  const first = Laptop.create();
  beforeAll(async () => {
    server = await BackupServer.start('max_clients = 1\nlegacy_algorithms = off\n');
  });
  afterAll(() => server?.daemon.dispose());

  it('answers 503 once max_clients laptops were told to go, and ds-backup backs off 60·2ⁿ and gives up after 6 asks', async () => {
    const second = Laptop.create();
    await server.register(first);
    await server.register(second);
    expect((await fetch(`http://127.0.0.1:${server.httpPort}/backup/1/available/${first.serial}`)).status).toBe(200);
    const busy = await fetch(`http://127.0.0.1:${server.httpPort}/backup/1/available/${second.serial}`);
    expect(busy.status).toBe(503);
    expect(await busy.text()).toBe('');
    // The waits between asks (60·2ⁿ s, here 5·2ⁿ ms) are sugaroid's unit test's, on a fake clock; here the asks are counted.
    await expect(second.backup('127.0.0.1', { ...server.ports(), journal: work, backoffBaseMs: 5 })).rejects.toSatisfy((err) => SugaroidErrors.BUSY.is(err));
    // Logs are written asynchronously: wait for the seventh line rather than count what has arrived.
    const isBusyAnswer = (l: { serial?: unknown; status?: unknown }) => l.serial === second.serial && l.status === 503;
    let seen = 0;
    await server.daemon.waitForLog((l) => isBusyAnswer(l) && ++seen === 7).catch(() => undefined);
    const answers = server.daemon.logs.filter(isBusyAnswer);
    expect(answers).toHaveLength(7);
    expect(answers[0]!.reason).toMatch(/1 laptops were told to go/);
    // The laptop let in may ask again.
    expect((await fetch(`http://127.0.0.1:${server.httpPort}/backup/1/available/${first.serial}`)).status).toBe(200);
  });

  it('with legacy_algorithms off, backs up a current laptop, and an old XO\'s ssh finds no key exchange it knows', async () => {
    const home = await laptopHome('modern-only', { bytes: 64 * 1024, entries: 3 });
    await first.backup('127.0.0.1', { ...server.ports(), journal: home.datastore });
    const xo = Laptop.create({ keyType: 'dsa' });
    await server.register(xo);
    const attempt = await rsyncAs(xo, { sshPort: server.sshPort }, ['-rlt', `${home.datastore}/`, '{}:datastore-current']);
    // ssh exits 255; rsync passes that on, or says 12 when it sees the pipe close first.
    expect([12, 255]).toContain(attempt.code);
    expect(attempt.stderr).toMatch(/no matching key exchange method found/);
  });
});

describe('a daemon killed in the middle of a transfer', () => {
  let server: BackupServer;
  afterAll(() => server?.daemon.dispose());

  it('leaves earlier snapshots and datastore-latest whole, and serves them again after a restart', async () => {
    server = await BackupServer.start();
    const laptop = Laptop.create();
    await server.register(laptop);
    const home = await laptopHome('killed', { bytes: 256 * 1024, entries: 8 });
    await laptop.backup('127.0.0.1', { ...server.ports(), journal: home.datastore });
    const first = await server.waitForBackup(laptop.serial, null);
    const kept = join(work, 'killed-first');
    await cp(home.datastore, kept, { recursive: true });

    // A large change, so the next transfer is still running when the daemon dies.
    await generateJournal(join(home.datastore, 'zz-large'), { bytes: 400 * 1024 * 1024, entries: 4, largeEntries: 4, largeShare: 1 });
    const backup = laptop.backup('127.0.0.1', { ...server.ports(), journal: home.datastore }).then(() => 'finished', (err: unknown) => err);
    const logsBefore = server.daemon.logs.length;
    await server.daemon.waitForLog((l) => l.msg === 'transfer started' && l.serial === laptop.serial && server.daemon.logs.indexOf(l) >= logsBefore, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await server.daemon.stop('SIGKILL');
    const outcome = await backup;
    expect(isSugaroidError(outcome) && outcome.code).toBe('SUGAROID_ERR_TRANSFER');

    const dir = join(server.users, laptop.serial);
    expect(await readlink(join(dir, 'datastore-latest'))).toBe(first.latest);
    expect(await compareTrees(kept, join(dir, 'datastore-latest'))).toEqual([]);

    const root = server.daemon.root;
    server = await BackupServer.start('', root);
    expect((await server.laptop(laptop.serial)).latest).toBe(first.latest);
    expect(await laptop.restore('127.0.0.1', { sshPort: server.sshPort, into: join(work, 'killed-restore'), expect: kept })).toMatchObject({ verified: true });
    await rm(join(home.datastore, 'zz-large'), { recursive: true });
  }, 120_000);
});
