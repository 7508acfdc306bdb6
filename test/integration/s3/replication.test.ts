/**
 * Backups replicated to a real S3 server (Ceph's RADOS Gateway, started once
 * for the file): laptops' snapshots stored by content (small files in packs,
 * large ones as objects of their own), each file once however many laptops
 * hold it, a later snapshot sending only what changed, and a wiped school
 * rebuilt from the bucket byte for byte; a missing object and a corrupt blob
 * reported, not restored; a bucket written one object per file still read.
 * Each case has a bucket of its own.
 */
import { lstat, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { generateJournal, Laptop } from 'sugaroid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipWithout } from '../../harness/index.js';
import { Gateway, HAS_GATEWAY } from './gateway.js';
import { fill, journalTree, prose, School, sha256, treeState, writeSnapshot, type Tree } from './school.js';

const LAPTOPS = ['SHC0000000A', 'SHC0000000B', 'SHC0000000C'];
const FIRST = 'datastore-2026-03-01_20:15';
const SECOND = 'datastore-2026-03-02_20:15';
const THIRD = 'datastore-2026-03-03_20:15';
/** One Journal entry both SHC0000000A and SHC0000000B hold (a shared activity's document). */
const SHARED = fill('shared document', 300 * 1024);
/** A recording on SHC0000000C, above the size packed: an object of its own. */
const LARGE = fill('large recording', 600 * 1024);
/** Files from this size up are objects of their own; smaller ones go in packs (plugins/backup/src/replication/layout.ts). */
const PACK_BELOW = 512 * 1024;
/** Blobs gathered before a pack is sent: 16 files of 256 KiB. */
const PACK_SIZE = 4 * 1024 * 1024;

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
    for (const serial of LAPTOPS) await writeSnapshot(main.users, serial, FIRST, laptopTree(serial));
    await main.start();
    const status = await main.replicated();
    expect(status.laptops).toEqual(Object.fromEntries(LAPTOPS.map((serial) => [serial, FIRST])));
    expect(status.lastError).toBeNull();

    const keys = await gateway.keys('school-main', 'school/');
    expect(keys.filter((k) => k.startsWith('school/laptops/'))).toEqual(LAPTOPS.map((serial) => `school/laptops/${serial}/20260301T2015Z.json`));
    // The large file is an object of its own, named by its digest; the small ones went in one pack per snapshot.
    expect(keys.filter((k) => k.startsWith('school/objects/'))).toEqual([objectKey(LARGE)]);
    const packs = keys.filter((k) => k.startsWith('school/packs/'));
    expect(packs).toHaveLength(LAPTOPS.length);
    // Each content once: the packs hold the distinct small files' bytes and nothing more (the shared entry once).
    const small = new Map<string, number>();
    for (const serial of LAPTOPS) for (const body of Object.values(laptopTree(serial))) if (Buffer.byteLength(body) < PACK_BELOW) small.set(sha256(body), Buffer.byteLength(body));
    expect(small.size).toBe(3 * 4 * 2 + 1);
    let packed = 0;
    for (const pack of packs) {
      const body = await gateway.get('school-main', pack);
      expect(sha256(body)).toBe(pack.split('/').at(-1));
      packed += body.length;
    }
    expect(packed).toBe([...small.values()].reduce((a, b) => a + b, 0));
    expect(status.totals).toMatchObject({ sentObjects: packs.length + 1, sentFiles: small.size + 1 });

    const [a, b] = await Promise.all(['SHC0000000A', 'SHC0000000B'].map((serial) => manifestFiles('school-main', `school/laptops/${serial}/20260301T2015Z.json`)));
    const sharedA = a!.find((e) => e.path === 'ab/shared-entry/data')!;
    expect(sharedA).toMatchObject({ size: SHARED.length, sha256: sha256(SHARED), pack: expect.any(String) });
    const { pack, offset, length } = b!.find((e) => e.path === 'ab/shared-entry/data')!;
    expect({ pack, offset, length }).toEqual({ pack: sharedA.pack, offset: sharedA.offset, length: sharedA.length });
    expect(sha256(await gateway.getRange('school-main', packKey(pack!), offset!, length!))).toBe(sha256(SHARED));
    for (const serial of LAPTOPS) await expectEveryFileStored('school-main', `school/laptops/${serial}/20260301T2015Z.json`);
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
    // The two changed files in one pack.
    expect(status.lastPass).toMatchObject({ snapshots: 1, sentObjects: 1, sentFiles: 2, sentBytes: 74 * 1024, skippedFiles: 8 });
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
    expect(metrics).toMatch(/^sugar_server_backup_replication_sent_objects_total 5$/m);
    expect(metrics).toMatch(/^sugar_server_backup_replication_sent_files_total 28$/m);
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

  it('reports a missing object and a corrupt blob in a pack, and restores neither file', async () => {
    const missingPath = 'ef/large-entry/data';
    const [, , corruptPath] = Object.keys(laptopTree('SHC0000000C'));
    await gateway.delete('school-main', objectKey(LARGE));
    // One byte changed in the middle of one file's blob; the pack's other blobs are untouched.
    const blob = (await manifestFiles('school-main', 'school/laptops/SHC0000000C/20260301T2015Z.json')).find((e) => e.path === corruptPath)!;
    const pack = await gateway.get('school-main', packKey(blob.pack!));
    pack[blob.offset! + 1000]! ^= 0xff;
    await gateway.put('school-main', packKey(blob.pack!), pack);
    await main.daemon!.stop();
    await rm(join(main.users, 'SHC0000000C'), { recursive: true, force: true });

    const restored = await main.restore('--laptop', 'SHC0000000C');
    expect(restored.code).not.toBe(0);
    expect(restored.stderr).toContain(`missing: SHC0000000C ${FIRST} ${missingPath}`);
    expect(restored.stderr).toContain(`corrupt: SHC0000000C ${FIRST} ${corruptPath}: its bytes do not match the manifest`);
    expect(restored.stderr).toContain(`of pack ${packKey(blob.pack!).slice('school/'.length)})`);
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
    // Three packs: 16, 16 and 8 files; at 4 uploads at once one pack goes up at a time.
    const files = 40;
    const perPack = PACK_SIZE / (256 * 1024);
    const killed = await school('school-killed', 'replicate_rate = 1M\nreplicate_concurrency = 4\n');
    await writeSnapshot(killed.users, 'SHC0000000D', FIRST, bigTree('killed', files));
    await killed.start();
    const present = await objectsOnceAtLeast(killed, 'packs', 1);
    await killed.daemon!.stop('SIGKILL');
    const before = (await gateway.keys(killed.bucket, 'school/packs/')).length;
    expect(before).toBeGreaterThanOrEqual(present);
    expect(before).toBeLessThan(3);

    await killed.start();
    const status = await killed.replicated();
    expect(status.laptops).toEqual({ SHC0000000D: FIRST });
    await expectEveryFileStored(killed.bucket, 'school/laptops/SHC0000000D/20260301T2015Z.json');
    // Only the rest went up again: at most the pack in flight when the daemon died was sent twice.
    expect(status.totals.sentFiles).toBeLessThanOrEqual(files - before * perPack + perPack);
    expect(status.totals.sentFiles + status.totals.skippedFiles).toBe(files);
  });

  it('carries on when the gateway is killed mid-upload and comes back', async () => {
    const files = 40;
    const crashed = await school('school-crashed', 'replicate_rate = 1M\nreplicate_concurrency = 4\nreplicate_interval = 2s\n');
    const tree = bigTree('crashed', files);
    await writeSnapshot(crashed.users, 'SHC0000000E', FIRST, tree);
    await crashed.start();
    // The first pack is in; the second is on its way (4 s at 1 MB/s).
    await objectsOnceAtLeast(crashed, 'packs', 1);
    await gateway.crashAndRestart();
    const status = await crashed.replicated(60_000);
    expect(status.laptops).toEqual({ SHC0000000E: FIRST });
    // Every pack is whole: its bytes hash to its name; and every file is in one, whole.
    const keys = await gateway.keys(crashed.bucket, 'school/packs/');
    expect(keys.length).toBeGreaterThanOrEqual(3);
    for (const key of keys) expect(sha256(await gateway.get(crashed.bucket, key))).toBe(key.split('/').at(-1));
    const stored = await expectEveryFileStored(crashed.bucket, 'school/laptops/SHC0000000E/20260301T2015Z.json');
    expect(stored.map((e) => e.sha256).sort()).toEqual(Object.values(tree).map(sha256).sort());
  });

  it('seals objects and manifests with the school key, and restores with it only', async () => {
    const sealed = await school('school-sealed', 'replicate_encryption = on\n');
    // A text entry too: compressed, then sealed.
    const tree = { ...journalTree('SHC0000000F', 3, 32 * 1024), 'cd/story/data': prose('sealed story', 64 * 1024), 'ef/large-entry/data': LARGE };
    await writeSnapshot(sealed.users, 'SHC0000000F', FIRST, tree);
    await sealed.start();
    const status = await sealed.replicated();
    expect(status.encrypted).toBe(true);
    const keyFile = join(sealed.root, 'etc/sugar-server/backup-replication.key');
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);

    const keys = await gateway.keys(sealed.bucket, 'school/');
    // The large file an object of its own, the seven small ones in one pack: neither named by a file's digest, neither readable.
    const objects = keys.filter((k) => k.startsWith('school/objects/') || k.startsWith('school/packs/'));
    expect(objects.map((k) => k.split('/')[1])).toEqual(['objects', 'packs']);
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

  it('stores what shrinks compressed, packed or on its own, what does not as it is, and restores both byte for byte', async () => {
    const compressed = await school('school-compressed', 'replicate_grace = 0s\n');
    const story = prose('a story', 100 * 1024);
    const book = prose('a book', 900 * 1024);
    // Past the size compressed while hashed (8 MiB): compressed as it streams up.
    const saga = prose('a saga', 9 * 1024 * 1024);
    const tree = { ...journalTree('texts', 2, 16 * 1024), 'ab/story/data': story, 'cd/book/data': book, 'cd/saga/data': saga, 'ef/large-entry/data': LARGE };
    await writeSnapshot(compressed.users, 'SHC0000000A', FIRST, tree);
    await compressed.start();
    expect((await compressed.replicated()).totals).toMatchObject({ sentFiles: Object.keys(tree).length });

    const manifest = JSON.parse(gunzipSync(await gateway.get(compressed.bucket, 'school/laptops/SHC0000000A/20260301T2015Z.json')).toString()) as { version: number };
    expect(manifest.version).toBe(3);
    const files = Object.fromEntries((await expectEveryFileStored(compressed.bucket, 'school/laptops/SHC0000000A/20260301T2015Z.json')).map((f) => [f.path, f]));
    // Text shrinks severalfold, in a pack or as an object of its own; a recording's bytes and a short title go as they are.
    expect(files['ab/story/data']).toMatchObject({ encoding: 'br', pack: expect.any(String) });
    expect(files['ab/story/data']!.length).toBeLessThan(story.length / 3);
    expect(files['cd/book/data']).toMatchObject({ encoding: 'br', size: book.length });
    expect(files['cd/book/data']).not.toHaveProperty('pack');
    expect(files['cd/saga/data']).toMatchObject({ encoding: 'br', size: saga.length });
    expect(files['ef/large-entry/data']).not.toHaveProperty('encoding');
    expect(Object.values(files).filter((f) => f.path.endsWith('/title')).every((f) => f.encoding === undefined)).toBe(true);
    const objects = await gateway.keys(compressed.bucket, 'school/objects/');
    expect(objects).toEqual([`${objectKey(book)}.br`, `${objectKey(saga)}.br`, objectKey(LARGE)].sort());
    expect((await gateway.get(compressed.bucket, `${objectKey(book)}.br`)).length).toBeLessThan(book.length / 3);
    expect((await gateway.get(compressed.bucket, `${objectKey(saga)}.br`)).length).toBeLessThan(saga.length / 3);

    const original = await treeState(join(compressed.users, 'SHC0000000A'));
    await compressed.daemon!.stop();
    await rm(compressed.users, { recursive: true, force: true });
    const restored = await compressed.restore();
    expect([restored.code, restored.stderr]).toEqual([0, '']);
    expect(await treeState(join(compressed.users, 'SHC0000000A'))).toEqual({ ...original, ...currentFrom(original) });

    // A lost index is rebuilt knowing which contents are compressed: a later snapshot of the same files sends only its new one.
    await rm(join(compressed.root, 'var/lib/sugar-server/backup/replication/objects'), { force: true });
    const { 'cd/book/data': _gone, ...rest } = tree;
    await writeSnapshot(compressed.users, 'SHC0000000A', SECOND, { ...rest, 'cd/new-entry/data': prose('new', 2000) });
    await compressed.start();
    expect((await compressed.replicated()).totals).toMatchObject({ sentFiles: 1, skippedFiles: Object.keys(rest).length });
    await expectEveryFileStored(compressed.bucket, 'school/laptops/SHC0000000A/20260302T2015Z.json');

    // Once no snapshot names the book, the sweep deletes its compressed object; the saga and the recording, still named, stay.
    await rm(join(compressed.users, 'SHC0000000A', FIRST), { recursive: true });
    expect((await compressed.replication('POST')).lastPass).toMatchObject({ prunedManifests: 1, sweptObjects: 1 });
    expect(await gateway.keys(compressed.bucket, 'school/objects/')).toEqual([`${objectKey(saga)}.br`, objectKey(LARGE)].sort());
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

  it('prunes in the bucket what retention pruned here, and sweeps objects and packs no snapshot names', async () => {
    const pruned = await school('school-pruned', 'replicate_grace = 0s\n');
    const carried = { 'ab/carried-over/data': 'in both snapshots' };
    const old = { ...journalTree('old', 2, 8 * 1024), 'ef/old-recording/data': fill('old recording', 600 * 1024) };
    await writeSnapshot(pruned.users, 'SHC0000000A', FIRST, { ...old, ...carried });
    await writeSnapshot(pruned.users, 'SHC0000000A', SECOND, { ...journalTree('kept', 2, 8 * 1024), ...carried });
    await pruned.start();
    await pruned.replicated();
    expect(await gateway.keys(pruned.bucket, 'school/laptops/')).toHaveLength(2);
    const firstPacks = await gateway.keys(pruned.bucket, 'school/packs/');
    expect(firstPacks).toHaveLength(2);

    // The first snapshot's recording goes; its pack stays whole, since the second snapshot names the carried-over file in it.
    await rm(join(pruned.users, 'SHC0000000A', FIRST), { recursive: true });
    let status = await pruned.replication('POST');
    expect(status.lastPass).toMatchObject({ prunedManifests: 1, sweptObjects: 1 });
    expect(await gateway.keys(pruned.bucket, 'school/laptops/')).toEqual(['school/laptops/SHC0000000A/20260302T2015Z.json']);
    expect(await gateway.keys(pruned.bucket, 'school/objects/')).toEqual([]);
    expect(await gateway.keys(pruned.bucket, 'school/packs/')).toEqual(firstPacks);
    await expectEveryFileStored(pruned.bucket, 'school/laptops/SHC0000000A/20260302T2015Z.json');

    // Once no snapshot names a blob in them, both packs go.
    await writeSnapshot(pruned.users, 'SHC0000000A', THIRD, journalTree('third', 1, 1024));
    await rm(join(pruned.users, 'SHC0000000A', SECOND), { recursive: true });
    status = await pruned.replication('POST');
    expect(status.lastPass).toMatchObject({ snapshots: 1, prunedManifests: 1, sweptObjects: 2 });
    const third = await expectEveryFileStored(pruned.bucket, 'school/laptops/SHC0000000A/20260303T2015Z.json');
    expect(await gateway.keys(pruned.bucket, 'school/packs/')).toEqual([...new Set(third.map((e) => packKey(e.pack!)))]);
  });

  it('judges the grace period by the gateway\'s clock: a school clock a year ahead sweeps nothing uploaded a moment ago', async () => {
    const ahead = await school('school-clock-ahead', 'replicate_grace = 1h\n');
    const offset = join(ahead.root, 'clock-offset');
    await writeFile(offset, String(365 * 86_400_000));
    await writeSnapshot(ahead.users, 'SHC0000000A', FIRST, journalTree('ahead', 2, 8 * 1024));
    await ahead.start({ SUGAR_SERVER_TEST_CLOCK_FILE: offset });
    await ahead.replicated();
    const packs = await gateway.keys(ahead.bucket, 'school/packs/');
    expect(packs).toHaveLength(1);

    // Retention here drops the only snapshot: its pack is named by no manifest, and a minute old by the gateway's clock.
    await writeSnapshot(ahead.users, 'SHC0000000A', SECOND, journalTree('later', 1, 1024));
    await rm(join(ahead.users, 'SHC0000000A', FIRST), { recursive: true });
    const status = await ahead.replication('POST');
    expect(status.lastPass).toMatchObject({ prunedManifests: 1, sweptObjects: 0 });
    expect(await gateway.keys(ahead.bucket, 'school/packs/')).toEqual(expect.arrayContaining(packs));
  });

  it('rebuilds a lost index from the bucket\'s objects and manifests, and sends again nothing already in a pack', async () => {
    const lost = await school('school-lost-index');
    const tree = { ...journalTree('lost index', 3, 16 * 1024), 'ef/large-entry/data': LARGE };
    await writeSnapshot(lost.users, 'SHC0000000A', FIRST, tree);
    await lost.start();
    expect((await lost.replicated()).totals).toMatchObject({ sentObjects: 2, sentFiles: Object.keys(tree).length });
    await lost.daemon!.stop();
    await rm(join(lost.root, 'var/lib/sugar-server/backup/replication/objects'));

    await writeSnapshot(lost.users, 'SHC0000000A', SECOND, { ...tree, 'cd/new-entry/data': fill('new after the index was lost', 1000) });
    await lost.start();
    const status = await lost.replicated();
    expect(status.laptops).toEqual({ SHC0000000A: SECOND });
    expect(status.totals).toMatchObject({ sentObjects: 1, sentFiles: 1, skippedFiles: Object.keys(tree).length });
    await expectEveryFileStored(lost.bucket, 'school/laptops/SHC0000000A/20260302T2015Z.json');
  });

  it('restores a bucket written one object per file, and sends into it only what is new', async () => {
    const old = await school('school-old-layout');
    const tree = journalTree('old layout', 3, 16 * 1024);
    await writeSnapshot(old.users, 'SHC0000000A', FIRST, tree);
    // What a release before packs wrote: every file an object of its own, and a version 1 manifest.
    for (const body of Object.values(tree)) await gateway.put(old.bucket, objectKey(body), Buffer.from(body));
    const manifest = await versionOneManifest('SHC0000000A', FIRST, join(old.users, 'SHC0000000A', FIRST));
    await gateway.put(old.bucket, 'school/laptops/SHC0000000A/20260301T2015Z.json', Buffer.from(JSON.stringify(manifest)));

    // No local index: it is rebuilt from the bucket, and nothing already there goes up again.
    await old.start();
    const first = await old.replicated();
    expect(first.laptops).toEqual({ SHC0000000A: FIRST });
    expect(first.totals).toMatchObject({ sentObjects: 0, sentFiles: 0, skippedFiles: Object.keys(tree).length });

    const [changed] = Object.keys(tree);
    await writeSnapshot(old.users, 'SHC0000000A', SECOND, { ...tree, [changed!]: fill('changed', 16 * 1024) });
    const second = await old.replication('POST');
    expect(second.lastPass).toMatchObject({ snapshots: 1, sentObjects: 1, sentFiles: 1, skippedFiles: Object.keys(tree).length - 1 });
    expect(await gateway.keys(old.bucket, 'school/objects/')).toHaveLength(Object.keys(tree).length);
    expect(await gateway.keys(old.bucket, 'school/packs/')).toHaveLength(1);

    const original = await treeState(join(old.users, 'SHC0000000A'));
    await old.daemon!.stop();
    await rm(old.users, { recursive: true, force: true });
    const restored = await old.restore();
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    expect(await treeState(join(old.users, 'SHC0000000A'))).toEqual({ ...original, ...currentFrom(original) });
  });
});

/** The first snapshot of the main school's laptops: Journal entries, the shared entry on A and B, a large recording on C. */
function laptopTree(serial: string): Tree {
  const tree = journalTree(serial, 4, 64 * 1024);
  if (serial === 'SHC0000000C') tree['ef/large-entry/data'] = LARGE;
  else tree['ab/shared-entry/data'] = SHARED;
  return tree;
}

function objectKey(body: string | Buffer): string {
  return `school/objects/${sha256(body).slice(0, 2)}/${sha256(body)}`;
}

function packKey(name: string): string {
  return `school/packs/${name.slice(0, 2)}/${name}`;
}

interface StoredFile {
  path: string;
  size: number;
  sha256: string;
  pack?: string;
  offset?: number;
  length?: number;
  encoding?: 'br';
}

/** The files a plain manifest in the bucket names. */
async function manifestFiles(bucket: string, key: string): Promise<StoredFile[]> {
  const manifest = JSON.parse(gunzipSync(await gateway.get(bucket, key)).toString()) as { entries: (StoredFile & { type: string })[] };
  return manifest.entries.filter((e) => e.type === 'file');
}

/** Every file a plain manifest names, read back where it says (a pack's range or an object), decompressed when stored so, and checked against its digest. */
async function expectEveryFileStored(bucket: string, key: string): Promise<StoredFile[]> {
  const files = await manifestFiles(bucket, key);
  for (const file of files) {
    const stored = file.pack === undefined
      ? await gateway.get(bucket, `school/objects/${file.sha256.slice(0, 2)}/${file.sha256}${file.encoding ? `.${file.encoding}` : ''}`)
      : await gateway.getRange(bucket, packKey(file.pack), file.offset!, file.length!);
    const body = file.encoding === 'br' ? brotliDecompressSync(stored) : stored;
    expect(sha256(body), file.path).toBe(file.sha256);
    expect(body.length, file.path).toBe(file.size);
  }
  return files;
}

/** A snapshot's manifest as releases before packs wrote it: every file named by its digest only. */
async function versionOneManifest(serial: string, snapshot: string, folder: string): Promise<unknown> {
  const entries: unknown[] = [];
  const visit = async (relative: string): Promise<void> => {
    for (const name of (await readdir(join(folder, relative))).sort()) {
      const path = relative ? `${relative}/${name}` : name;
      const info = await lstat(join(folder, path));
      const mtime = Math.floor(info.mtimeMs);
      if (info.isDirectory()) {
        entries.push({ type: 'dir', path, mode: info.mode & 0o7777, mtime });
        await visit(path);
      } else {
        entries.push({ type: 'file', path, mode: info.mode & 0o7777, mtime, size: info.size, sha256: sha256(await readFile(join(folder, path))) });
      }
    }
  };
  await visit('');
  const root = await lstat(folder);
  return { version: 1, serial, snapshot, root: { mode: root.mode & 0o7777, mtime: Math.floor(root.mtimeMs) }, entries };
}

/** The state of a `datastore-current` linked from the snapshot `datastore-latest` points to, from the laptop's state. */
function currentFrom(state: Record<string, string>): Record<string, string> {
  const snapshot = state['datastore-latest']!.replace('symlink -> ', '');
  return Object.fromEntries(Object.entries(state).filter(([path]) => path === snapshot || path.startsWith(`${snapshot}/`)).map(([path, value]) => [`datastore-current${path.slice(snapshot.length)}`, value]));
}

/** `count` files of 256 KiB: packed 16 a pack, slow enough under a rate cap to be cut short. */
function bigTree(seed: string, count: number): Record<string, Buffer> {
  const tree: Record<string, Buffer> = {};
  for (let i = 0; i < count; i++) tree[`${String(i).padStart(2, '0')}/${seed}-${i}/data`] = fill(`${seed}/${i}`, 256 * 1024);
  return tree;
}

/** Wait until the school's bucket holds at least `count` objects (or packs); resolves with how many it found. */
async function objectsOnceAtLeast(at: School, under: 'objects' | 'packs', count: number): Promise<number> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const found = (await gateway.keys(at.bucket, `school/${under}/`)).length;
    if (found >= count) return found;
    if (Date.now() > deadline) throw new Error(`only ${found} ${under} reached the bucket`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
