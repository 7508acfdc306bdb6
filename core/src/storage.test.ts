import { appendFile, mkdir, mkdtemp, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { JsonStore, storeDir } from './storage.js';
import { compactStore, type CompactJob } from './storage/compact.js';
import { journalFile, listJournals, snapshotFile } from './storage/files.js';

const dirs: string[] = [];
const stores: JsonStore<unknown>[] = [];
async function tempDir() {
  const dir = await mkdtemp(join(tmpdir(), 'sugar-store-'));
  dirs.push(dir);
  return dir;
}
async function openStore<T>(file: string, defaults: T, options = {}) {
  const store = await JsonStore.open(file, defaults, options);
  stores.push(store as JsonStore<unknown>);
  return store;
}
/** The FileHandle class, to watch what reaches the disk. */
async function fileHandlePrototype(dir: string) {
  const handle = await open(join(dir, 'probe'), 'w');
  await handle.close();
  return Object.getPrototypeOf(handle) as { writeFile: (...args: unknown[]) => Promise<void>; datasync: () => Promise<void> };
}
afterEach(async () => {
  vi.restoreAllMocks();
  for (const store of stores.splice(0)) await store.close().catch(() => {});
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('JsonStore', () => {
  it('starts from the defaults and keeps updates across a reopen', async () => {
    const file = join(await tempDir(), 'stores/x.json');
    const store = await openStore(file, { laptops: [] as string[] });
    await store.update((d) => d.laptops.push('SHC0123456A'));
    await store.close();
    const reopened = await openStore(file, { laptops: [] as string[] });
    expect(reopened.data.laptops).toEqual(['SHC0123456A']);
    expect((await readdir(storeDir(file))).sort()).toEqual(['journal-00000001.log', 'snapshot.json']);
  });

  it('writes what an update changed, not the whole document', async () => {
    const file = join(await tempDir(), 'x.json');
    const laptops = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`SHC${String(i).padStart(8, '0')}`, { nick: `laptop ${i}`, uuid: `${i}`.padStart(36, '0') }]));
    const store = await openStore(file, { laptops }, { compactMinBytes: 1e9 });
    const journal = journalFile(storeDir(file), 1);
    const before = (await stat(journal)).size;
    await store.update((d) => void (d.laptops.SHC00004242!.nick = 'renamed'));
    const written = (await stat(journal)).size - before;
    expect((await stat(snapshotFile(storeDir(file)))).size).toBeGreaterThan(1_000_000);
    expect(written).toBeLessThan(100);
  });

  it('groups concurrent writers into few flushes, and each resolves with its change on disk', async () => {
    const dir = await tempDir();
    const file = join(dir, 'x.json');
    const store = await openStore(file, { n: [] as number[] });
    const proto = await fileHandlePrototype(dir);
    const syncs = vi.spyOn(proto, 'datasync');
    const journal = journalFile(storeDir(file), 1);
    const onDisk: boolean[] = [];
    await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        store.update((d) => d.n.push(i)).then(async () => {
          onDisk.push((await readFile(journal, 'utf8')).includes(`[0,["n","${i}"],${i}]`));
        }),
      ),
    );
    expect(onDisk).toHaveLength(500);
    expect(onDisk.every(Boolean)).toBe(true);
    // The first writer flushes alone; everyone arriving meanwhile shares the next flush.
    expect(syncs.mock.calls.length).toBeLessThanOrEqual(3);
  });

  it('cuts off a torn last record at open and keeps every whole one', async () => {
    const file = join(await tempDir(), 'x.json');
    const store = await openStore(file, { n: 0 });
    for (let i = 1; i <= 5; i++) await store.update((d) => void (d.n = i));
    await store.close();
    const journal = journalFile(storeDir(file), 1);
    const whole = (await stat(journal)).size;
    await appendFile(journal, Buffer.from([0, 0, 0, 40, 1, 2, 3, 4, 0x5b, 0x5b, 0x30]));
    const reopened = await openStore(file, { n: 0 });
    expect(reopened.data.n).toBe(5);
    expect(reopened.opened.tornBytes).toBe(11);
    expect((await stat(journal)).size).toBe(whole);
    await reopened.update((d) => void (d.n = 6));
    await reopened.close();
    expect((await openStore(file, { n: 0 })).data.n).toBe(6);
  });

  it('refuses to open over damage in the middle of a journal, and changes nothing', async () => {
    const file = join(await tempDir(), 'x.json');
    const store = await openStore(file, { n: 0 });
    for (let i = 1; i <= 5; i++) await store.update((d) => void (d.n = i));
    await store.close();
    const journal = journalFile(storeDir(file), 1);
    const bytes = await readFile(journal);
    bytes[30] ^= 0xff;
    await writeFile(journal, bytes);
    await expect(JsonStore.open(file, { n: 0 })).rejects.toMatchObject({
      code: 'SERVER_ERR_STORE_JOURNAL_CORRUPT',
      message: expect.stringMatching(/journal-00000001\.log is damaged at byte \d+ .*sugar-server store truncate/),
    });
    expect(await readFile(journal)).toEqual(bytes);
  });

  it('migrates a store kept whole in one file (the earlier format), and removes that file only once migrated', async () => {
    const dir = await tempDir();
    const file = join(dir, 'registry.json');
    await writeFile(file, JSON.stringify({ laptops: { SHC0123456A: { nick: 'old' } } }));
    const store = await openStore(file, { laptops: {} as Record<string, { nick: string }> });
    expect(store.data.laptops.SHC0123456A!.nick).toBe('old');
    expect(store.opened.migratedFrom).toBe(file);
    expect((await readdir(dir)).sort()).toEqual(['registry']);
    await store.update((d) => void (d.laptops.SHC0123456A!.nick = 'new'));
    await store.close();
    expect((await openStore(file, { laptops: {} as Record<string, { nick: string }> })).data.laptops.SHC0123456A!.nick).toBe('new');
  });

  it('finishes a migration that stopped after its snapshot was written', async () => {
    const dir = await tempDir();
    const file = join(dir, 'x.json');
    const store = await openStore(file, { v: 'defaults' });
    await store.update((d) => void (d.v = 'migrated'));
    await store.close();
    await writeFile(file, JSON.stringify({ v: 'stale copy' }));
    const reopened = await openStore(file, { v: 'defaults' });
    expect(reopened.data.v).toBe('migrated');
    expect(await readdir(dir)).toEqual(['x']);
  });

  it('never overwrites an earlier-format file it cannot parse, and says which file', async () => {
    const dir = await tempDir();
    const file = join(dir, 'x.json');
    await writeFile(file, '{"half":');
    await expect(JsonStore.open(file, {})).rejects.toMatchObject({ code: 'SERVER_ERR_STORE_CORRUPT', message: expect.stringContaining(file) });
    expect(await readFile(file, 'utf8')).toBe('{"half":');
  });

  it('drops temp files left by a crash mid-write', async () => {
    const dir = await tempDir();
    const file = join(dir, 'x.json');
    await mkdir(storeDir(file));
    await writeFile(join(storeDir(file), 'snapshot.json.4242.tmp'), '{"partial');
    await writeFile(join(dir, '.x.json.4242.tmp'), '{"partial');
    await openStore(file, {});
    expect(await readdir(dir)).toEqual(['x']);
    expect((await readdir(storeDir(file))).sort()).toEqual(['journal-00000001.log', 'snapshot.json']);
  });

  it('compacts the journal into a new snapshot beside the writers, and loses nothing', async () => {
    const file = join(await tempDir(), 'x.json');
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const jobs: CompactJob[] = [];
    const compactor = async (job: CompactJob) => {
      jobs.push(job);
      await held;
      return compactStore(job);
    };
    const store = await openStore(file, { n: {} as Record<string, number> }, { compactor, compactMinBytes: 2000, compactRatio: 0.5 });
    for (let i = 0; i < 100; i++) await store.update((d) => void (d.n[`k${i}`] = i));
    // The compaction is held: writers went on into the next journal.
    expect(jobs).toEqual([{ dir: storeDir(file), upTo: 1 }]);
    expect(await listJournals(storeDir(file))).toEqual([1, 2]);
    release();
    await store.close();
    expect(await listJournals(storeDir(file))).toEqual([2]);
    expect(JSON.parse((await readFile(snapshotFile(storeDir(file)), 'utf8')).split('\n')[0]!).journal).toBe(2);
    const reopened = await openStore(file, { n: {} as Record<string, number> });
    expect(Object.keys(reopened.data.n)).toHaveLength(100);
    expect(reopened.data.n.k99).toBe(99);
  });

  it('keeps the journals when a compaction fails, and replays them at the next open', async () => {
    const file = join(await tempDir(), 'x.json');
    const compactor = vi.fn(async () => {
      throw new Error('disk full');
    });
    const store = await openStore(file, { n: 0 }, { compactor, compactMinBytes: 200 });
    for (let i = 1; i <= 30; i++) await store.update((d) => void (d.n = i));
    await store.close();
    expect(compactor).toHaveBeenCalled();
    expect((await openStore(file, { n: 0 })).data.n).toBe(30);
  });

  it('rejects the writers of a failed flush, keeps their change for the next one, and later ones succeed', async () => {
    const dir = await tempDir();
    const file = join(dir, 'x.json');
    const store = await openStore(file, { a: 0, b: 0 });
    const proto = await fileHandlePrototype(dir);
    vi.spyOn(proto, 'writeFile').mockRejectedValueOnce(Object.assign(new Error('No space left on device'), { code: 'ENOSPC' }));
    await expect(store.update((d) => void (d.a = 1))).rejects.toMatchObject({ code: 'SERVER_ERR_STORE_WRITE', message: expect.stringContaining('ENOSPC: No space left on device') });
    await store.update((d) => void (d.b = 2));
    await store.close();
    expect((await openStore(file, { a: 0, b: 0 })).data).toEqual({ a: 1, b: 2 });
  });

  it('rejects an update whose change throws, and keeps on disk what it did before', async () => {
    const file = join(await tempDir(), 'x.json');
    const store = await openStore(file, { a: 0, b: 0 });
    await expect(store.update((d) => {
      d.a = 1;
      throw new Error('bad input');
    })).rejects.toThrow('bad input');
    await store.flush();
    await store.close();
    expect((await openStore(file, { a: 0, b: 0 })).data).toEqual({ a: 1, b: 0 });
  });

  describe('a crash during compaction', () => {
    /** A store with records in journals 1 and 2, as a compaction of journal 1 leaves it before it folds anything. */
    async function twoJournals() {
      const file = join(await tempDir(), 'x.json');
      let crash!: () => void;
      const crashed = new Promise<void>((resolve) => (crash = resolve));
      const compactor = async () => {
        await crashed;
        throw new Error('killed before the new snapshot was written');
      };
      const store = await openStore(file, { n: {} as Record<string, number> }, { compactor, compactMinBytes: 300 });
      for (let i = 0; i < 40; i++) await store.update((d) => void (d.n[`k${i}`] = i));
      expect(await listJournals(storeDir(file))).toEqual([1, 2]);
      crash();
      await store.close();
      return { file, dir: storeDir(file) };
    }

    it('before the new snapshot is in place: the old snapshot and every journal give the whole document', async () => {
      const { file } = await twoJournals();
      const reopened = await openStore(file, { n: {} as Record<string, number> });
      expect(Object.keys(reopened.data.n)).toHaveLength(40);
    });

    it('after the new snapshot is in place but before the folded journal is deleted: that journal is not applied twice', async () => {
      const { file, dir } = await twoJournals();
      await compactStore({ dir, upTo: 1 });
      expect(await listJournals(dir)).toEqual([1, 2]);
      const reopened = await openStore(file, { n: {} as Record<string, number> });
      expect(Object.keys(reopened.data.n)).toHaveLength(40);
      expect(await listJournals(dir)).toEqual([2]);
    });

    it('with a journal missing between the snapshot and a later one: refuses to open', async () => {
      const { file, dir } = await twoJournals();
      await rm(journalFile(dir, 1));
      await expect(JsonStore.open(file, {})).rejects.toMatchObject({ code: 'SERVER_ERR_STORE_CORRUPT', message: expect.stringContaining('journal-00000001.log') });
    });
  });
});
