/**
 * Backups replicated to a real S3 server (Ceph's RADOS Gateway, started once
 * for the file): laptops' snapshots stored by content, each file once however
 * many laptops hold it, a later snapshot sending only what changed, and a
 * wiped school rebuilt from the bucket byte for byte; missing and corrupt
 * objects reported, not restored. Each case has a bucket of its own.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateJournal, Laptop } from 'sugaroid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipWithout } from '../../harness/index.js';
import { Gateway, HAS_GATEWAY } from './gateway.js';
import { fill, journalTree, School, sha256, treeState, writeSnapshot } from './school.js';

const LAPTOPS = ['SHC0000000A', 'SHC0000000B', 'SHC0000000C'];
const FIRST = 'datastore-2026-03-01_20:15';
const SECOND = 'datastore-2026-03-02_20:15';
/** One Journal entry both SHC0000000A and SHC0000000B hold (a shared activity's document). */
const SHARED = fill('shared document', 300 * 1024);

let gateway: Gateway;
const schools: School[] = [];
let work: string;
/** Outside CI, a machine without Ceph's packages skips the suite; under CI it runs and fails. */
const skip = skipWithout(HAS_GATEWAY);

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 's3-laptops-'));
  if (!skip) gateway = await Gateway.start();
}, 90_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
  for (const school of schools) {
    await school.daemon?.dispose();
    await rm(school.root, { recursive: true, force: true });
  }
  await gateway?.stop();
}, 60_000);

async function school(bucket: string, extra = ''): Promise<School> {
  await gateway.createBucket(bucket);
  const made = await School.make(gateway, bucket, extra);
  schools.push(made);
  return made;
}

describe.skipIf(skipWithout(HAS_GATEWAY))('replication to S3', () => {
  let main: School;
  /** A laptop that backs up over ssh and rsync as ds-backup does, and restores the same way after the school is rebuilt. */
  let laptop: Laptop;
  let journal: string;
  /** The laptops' folders as they were, to compare a restore with. */
  let before: Record<string, Record<string, string>>;

  it('stores three laptops\' snapshots by content, a file two laptops share once', async () => {
    main = await school('school-main');
    for (const serial of LAPTOPS) {
      const tree = journalTree(serial, 4, 64 * 1024);
      if (serial !== 'SHC0000000C') tree['ab/shared-entry/data'] = SHARED;
      await writeSnapshot(main.users, serial, FIRST, tree);
    }
    await main.start();
    const status = await main.replicated();
    expect(status.laptops).toEqual(Object.fromEntries(LAPTOPS.map((serial) => [serial, FIRST])));
    expect(status.lastError).toBeNull();

    const keys = await gateway.keys('school-main', 'school/');
    expect(keys.filter((k) => k.startsWith('school/laptops/'))).toEqual(LAPTOPS.map((serial) => `school/laptops/${serial}/20260301T2015Z.json`));
    const objects = keys.filter((k) => k.startsWith('school/objects/'));
    // 3 laptops x 4 entries x (data + title), plus the shared entry once.
    expect(objects).toHaveLength(3 * 4 * 2 + 1);
    const shared = `school/objects/${sha256(SHARED).slice(0, 2)}/${sha256(SHARED)}`;
    expect(objects).toContain(shared);
    expect(sha256(await gateway.get('school-main', shared))).toBe(sha256(SHARED));
    expect(status.totals.sentObjects).toBe(objects.length);

    const manifest = JSON.parse((await gateway.get('school-main', 'school/laptops/SHC0000000A/20260301T2015Z.json')).toString()) as { entries: { path: string; sha256?: string }[] };
    expect(manifest.entries.find((e) => e.path === 'ab/shared-entry/data')?.sha256).toBe(sha256(SHARED));
  });

  it('sends only what changed in a later snapshot', async () => {
    const tree = journalTree('SHC0000000A', 4, 64 * 1024);
    tree['ab/shared-entry/data'] = SHARED;
    const [firstData] = Object.keys(tree);
    tree[firstData!] = fill('edited', 64 * 1024);
    tree['cd/new-entry/data'] = fill('new entry', 10 * 1024);
    await writeSnapshot(main.users, 'SHC0000000A', SECOND, tree);
    const status = await main.replication('POST');
    expect(status.state).toBe('idle');
    expect(status.lastPass).toMatchObject({ snapshots: 1, sentObjects: 2, sentBytes: 74 * 1024, skippedFiles: 8 });
    expect(status.laptops.SHC0000000A).toBe(SECOND);
    expect(await gateway.keys('school-main', 'school/laptops/SHC0000000A/')).toHaveLength(2);
  });

  it('shows replication in /status, /metrics and sugar-server backup status', async () => {
    const status = await main.daemon!.status();
    expect(main.daemon!.plugin(status, 'backup')?.details).toMatchObject({
      replication: { state: 'idle', encrypted: false, backlog: { snapshots: 0, files: 0, bytes: 0 }, lastError: null },
    });
    const metrics = await (await main.daemon!.fetch('/metrics')).text();
    expect(metrics).toMatch(/^sugar_server_backup_replication_backlog_bytes 0$/m);
    expect(metrics).toMatch(/^sugar_server_backup_replication_sent_objects_total 27$/m);
    expect(metrics).toMatch(/^sugar_server_backup_replication_failed 0$/m);
    const cli = await main.daemon!.cli('backup', 'status');
    expect(cli.code).toBe(0);
    expect(cli.stdout).toContain('replication to s3://school-main/school/: idle');
    expect(cli.stdout).toContain('3 laptop(s) in the bucket');
    expect(cli.stdout).toContain('backlog: 0 snapshot(s), 0 file(s), 0.0 MB');
  });

  it('replicates a laptop\'s ds-backup as soon as its snapshot is made', async () => {
    laptop = Laptop.create();
    journal = join(work, 'journal');
    await generateJournal(journal, { bytes: 256 * 1024, entries: 6 });
    await main.register(laptop);
    await laptop.backup('127.0.0.1', { ...(await main.ports()), journal });
    const deadline = Date.now() + 30_000;
    let status = await main.replication();
    while (!status.laptops[laptop.serial] || status.state !== 'idle') {
      if (Date.now() > deadline) throw new Error(`the laptop's snapshot was not replicated: ${JSON.stringify(status)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = await main.replication();
    }
    expect(await gateway.keys('school-main', `school/laptops/${laptop.serial}/`)).toHaveLength(1);
  });

  it('sends nothing outside replicate_windows', async () => {
    const tomorrow = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'][(new Date().getDay() + 1) % 7];
    const waiting = await school('school-waiting', `replicate_windows = ${tomorrow} 00:00-24:00\n`);
    await writeSnapshot(waiting.users, 'SHC0000000A', FIRST, journalTree('waiting', 2, 1024));
    await waiting.start();
    const status = await waiting.replication('POST');
    expect(status.state).toBe('outside window');
    expect(status.lastSuccess).toBeNull();
    expect(status.backlog).toEqual({ snapshots: 1, files: 4, bytes: 2 * 1024 + 2 * 'entry 0 of waiting'.length });
    expect(await gateway.keys(waiting.bucket, 'school/')).toEqual([]);
  });

  it('rebuilds a wiped school from the bucket, byte for byte', async () => {
    before = {};
    // Snapshots (and datastore-current, linked from the latest) come back; power-logs and documents are not snapshotted, so not replicated.
    const replicatedPart = (state: Record<string, string>) => Object.fromEntries(Object.entries(state).filter(([path]) => path.startsWith('datastore-')));
    for (const serial of [...LAPTOPS, laptop.serial]) before[serial] = replicatedPart(await treeState(join(main.users, serial)));
    await main.daemon!.stop();
    await rm(main.users, { recursive: true, force: true });

    const restored = await main.restore();
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    expect(restored.stdout).toContain('4 laptop(s), 5 snapshot(s)');
    for (const serial of LAPTOPS) expect(await treeState(join(main.users, serial)), serial).toEqual({ ...before[serial], ...currentFrom(before[serial]!) });
    expect(replicatedPart(await treeState(join(main.users, laptop.serial)))).toEqual(before[laptop.serial]);

    // The laptop restores over the usual endpoint from the rebuilt folders, checked byte for byte against its Journal.
    await main.start();
    expect(await laptop.restore('127.0.0.1', { sshPort: (await main.ports()).sshPort, into: join(work, 'restored'), expect: journal })).toMatchObject({ verified: true });
  });

  it('reports a missing and a corrupt object and restores neither file', async () => {
    const tree = journalTree('SHC0000000C', 4, 64 * 1024);
    const [missingPath, , corruptPath] = Object.keys(tree);
    const key = (body: string | Buffer) => `school/objects/${sha256(body).slice(0, 2)}/${sha256(body)}`;
    await gateway.delete('school-main', key(tree[missingPath!]!));
    await gateway.put('school-main', key(tree[corruptPath!]!), fill('not what was sent', 64 * 1024));
    await main.daemon!.stop();
    await rm(join(main.users, 'SHC0000000C'), { recursive: true, force: true });

    const restored = await main.restore('--laptop', 'SHC0000000C');
    expect(restored.code).not.toBe(0);
    expect(restored.stderr).toContain(`missing: SHC0000000C ${FIRST} ${missingPath}`);
    expect(restored.stderr).toContain(`corrupt: SHC0000000C ${FIRST} ${corruptPath}`);
    expect(restored.stderr).toContain('2 file(s) could not be restored from s3://school-main/school/');
    const state = await treeState(join(main.users, 'SHC0000000C'));
    expect(state[`${FIRST}/${missingPath}`]).toBeUndefined();
    expect(state[`${FIRST}/${corruptPath}`]).toBeUndefined();
    // Everything else is there as it was.
    const expected = { ...before.SHC0000000C!, ...currentFrom(before.SHC0000000C!) };
    for (const path of [missingPath, corruptPath]) {
      delete expected[`${FIRST}/${path}`];
      delete expected[`datastore-current/${path}`];
    }
    expect(state).toEqual(expected);
  });

  it('resumes after the daemon is killed mid-replication, without sending again what was acknowledged', async () => {
    const files = 24;
    const killed = await school('school-killed', 'replicate_rate = 1M\nreplicate_concurrency = 4\n');
    await writeSnapshot(killed.users, 'SHC0000000D', FIRST, bigTree('killed', files));
    await killed.start();
    const present = await objectsOnceAtLeast(killed, 6);
    await killed.daemon!.stop('SIGKILL');
    const before = (await gateway.keys(killed.bucket, 'school/objects/')).length;
    expect(before).toBeGreaterThanOrEqual(present);
    expect(before).toBeLessThan(files);

    await killed.start();
    const status = await killed.replicated();
    expect(status.laptops).toEqual({ SHC0000000D: FIRST });
    expect(await gateway.keys(killed.bucket, 'school/objects/')).toHaveLength(files);
    // Only the rest went up again: at most the uploads that were in flight when the daemon died (4 at once) were sent twice.
    expect(status.totals.sentObjects).toBeLessThanOrEqual(files - before + 4);
    expect(status.totals.sentObjects + status.totals.skippedFiles).toBe(files);
  });

  it('carries on when the gateway is killed mid-upload and comes back', async () => {
    const files = 24;
    const crashed = await school('school-crashed', 'replicate_rate = 1M\nreplicate_concurrency = 4\nreplicate_interval = 2s\n');
    const tree = bigTree('crashed', files);
    await writeSnapshot(crashed.users, 'SHC0000000E', FIRST, tree);
    await crashed.start();
    await objectsOnceAtLeast(crashed, 4);
    await gateway.crashAndRestart();
    const status = await crashed.replicated(60_000);
    expect(status.laptops).toEqual({ SHC0000000E: FIRST });
    // Every object is whole: its bytes hash to its name.
    const keys = await gateway.keys(crashed.bucket, 'school/objects/');
    expect(keys).toHaveLength(files);
    for (const key of keys) expect(sha256(await gateway.get(crashed.bucket, key))).toBe(key.split('/').at(-1));
    expect(keys.map((key) => key.split('/').at(-1)).sort()).toEqual(Object.values(tree).map(sha256).sort());
  });

  it('seals objects and manifests with the school key, and restores with it only', async () => {
    const sealed = await school('school-sealed', 'replicate_encryption = on\n');
    const tree = journalTree('SHC0000000F', 3, 32 * 1024);
    await writeSnapshot(sealed.users, 'SHC0000000F', FIRST, tree);
    await sealed.start();
    const status = await sealed.replicated();
    expect(status.encrypted).toBe(true);
    const keyFile = join(sealed.root, 'etc/sugar-server/backup-replication.key');
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);

    const keys = await gateway.keys(sealed.bucket, 'school/');
    const objects = keys.filter((k) => k.startsWith('school/objects/'));
    expect(objects).toHaveLength(Object.keys(tree).length);
    const digests = new Set(Object.values(tree).map(sha256));
    for (const key of objects) {
      expect(digests.has(key.split('/').at(-1)!)).toBe(false);
      const body = await gateway.get(sealed.bucket, key);
      expect(body.includes(Buffer.from('entry '))).toBe(false);
    }
    const manifest = await gateway.get(sealed.bucket, 'school/laptops/SHC0000000F/20260301T2015Z.json');
    expect(manifest.includes(Buffer.from('metadata'))).toBe(false);

    const original = await treeState(join(sealed.users, 'SHC0000000F'));
    await sealed.daemon!.stop();
    await rm(sealed.users, { recursive: true, force: true });
    const key = await readFile(keyFile, 'utf8');
    await writeFile(keyFile, `${'11'.repeat(32)}\n`, { mode: 0o600 });
    const wrongKey = await sealed.restore();
    expect(wrongKey.code).not.toBe(0);
    expect(wrongKey.stderr).toContain(`replication key ${keyFile} does not open manifest laptops/SHC0000000F/20260301T2015Z.json`);
    await rm(sealed.users, { recursive: true, force: true });

    await writeFile(keyFile, key, { mode: 0o600 });
    const restored = await sealed.restore();
    expect(restored.code).toBe(0);
    expect(await treeState(join(sealed.users, 'SHC0000000F'))).toEqual({ ...original, ...currentFrom(original) });
  });

  it('keeps backing up while the bucket cannot be reached, reports why, and replicates once it can', async () => {
    const later = await School.make(gateway, 'school-later');
    schools.push(later);
    await writeSnapshot(later.users, 'SHC0000000B', FIRST, journalTree('later', 2, 4096));
    await later.start();
    const status = await later.daemon!.status();
    expect(later.daemon!.plugin(status, 'backup')?.state).toBe('running');
    const failed = await later.replication('POST');
    expect(failed.state).toBe('failed');
    expect(failed.lastError?.code).toBe('BACKUP_ERR_REPLICATION_FAILED');
    expect(failed.lastError?.message).toContain('s3://school-later/school/');
    expect(await (await later.daemon!.fetch('/metrics')).text()).toMatch(/^sugar_server_backup_replication_failed 1$/m);

    await gateway.createBucket('school-later');
    const replicated = await later.replication('POST');
    expect(replicated.state).toBe('idle');
    expect(replicated.laptops).toEqual({ SHC0000000B: FIRST });
  });

  it('prunes in the bucket what retention pruned here, and sweeps objects no snapshot names', async () => {
    const pruned = await school('school-pruned', 'replicate_grace = 0s\n');
    const old = journalTree('old', 2, 8 * 1024);
    const kept = { ...journalTree('kept', 2, 8 * 1024), 'ab/carried-over/data': 'in both snapshots' };
    await writeSnapshot(pruned.users, 'SHC0000000A', FIRST, { ...old, 'ab/carried-over/data': 'in both snapshots' });
    await writeSnapshot(pruned.users, 'SHC0000000A', SECOND, kept);
    await pruned.start();
    await pruned.replicated();
    expect(await gateway.keys(pruned.bucket, 'school/laptops/')).toHaveLength(2);

    await rm(join(pruned.users, 'SHC0000000A', FIRST), { recursive: true });
    const status = await pruned.replication('POST');
    expect(status.lastPass).toMatchObject({ prunedManifests: 1, sweptObjects: Object.keys(old).length });
    expect(await gateway.keys(pruned.bucket, 'school/laptops/')).toEqual(['school/laptops/SHC0000000A/20260302T2015Z.json']);
    const names = (await gateway.keys(pruned.bucket, 'school/objects/')).map((key) => key.split('/').at(-1)).sort();
    expect(names).toEqual([...new Set(Object.values(kept).map(sha256))].sort());
  });
});

/** The state of a `datastore-current` linked from the snapshot `datastore-latest` points to, from the laptop's state. */
function currentFrom(state: Record<string, string>): Record<string, string> {
  const snapshot = state['datastore-latest']!.replace('symlink -> ', '');
  return Object.fromEntries(Object.entries(state).filter(([path]) => path === snapshot || path.startsWith(`${snapshot}/`)).map(([path, value]) => [`datastore-current${path.slice(snapshot.length)}`, value]));
}

/** `count` files of 256 KiB: each a separate object, slow enough under a rate cap to be cut short. */
function bigTree(seed: string, count: number): Record<string, Buffer> {
  const tree: Record<string, Buffer> = {};
  for (let i = 0; i < count; i++) tree[`${String(i).padStart(2, '0')}/${seed}-${i}/data`] = fill(`${seed}/${i}`, 256 * 1024);
  return tree;
}

/** Wait until the school's bucket holds at least `count` objects; resolves with how many it found. */
async function objectsOnceAtLeast(at: School, count: number): Promise<number> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const found = (await gateway.keys(at.bucket, 'school/objects/')).length;
    if (found >= count) return found;
    if (Date.now() > deadline) throw new Error(`only ${found} objects reached the bucket`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
