import { spawn } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ServerErrors } from '../errors.js';
import { JsonStore, storeDir, type StoreOptions } from '../storage.js';
import { compactStore } from './compact.js';
import { snapshotFile } from './files.js';
import { readSnapshot } from './snapshot.js';

interface V1 { laptops: string[] }
interface V2 { laptops: Record<string, { serial: string }> }
interface V3 { laptops: Record<string, { serial: string; nick: string }>; count: number }

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const STORAGE = new URL('../storage.ts', import.meta.url).href;

let dir: string;
let file: string;
const opened: JsonStore<unknown>[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sugar-server-document-'));
  file = join(dir, 'stores/laptops.json');
});
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close().catch(() => {});
  await rm(dir, { recursive: true, force: true });
});

async function open<T>(defaults: T, options: StoreOptions = {}): Promise<JsonStore<T>> {
  const store = await JsonStore.open(file, defaults, { writer: { name: 'sugar-server-laptops', version: '2.0.0' }, ...options });
  opened.push(store as JsonStore<unknown>);
  return store;
}

/** A store as version 1 wrote it: a snapshot, then a journal of three registrations, the last one torn by a crash. */
async function writtenAtVersion1(): Promise<void> {
  const store = await JsonStore.open<V1>(file, { laptops: [] });
  await store.update((d) => void d.laptops.push('SHC0000001A'));
  await store.update((d) => void d.laptops.push('SHC0000002B'));
  await store.update((d) => void d.laptops.push('SHC0000003C'));
  await store.close();
  await appendFile(join(storeDir(file), 'journal-00000001.log'), Buffer.from([0, 0, 0, 40, 1, 2]));
}

/** Every file of the store's folder, by name. */
async function filesOf(): Promise<Record<string, string>> {
  const folder = storeDir(file);
  const names = (await readdir(folder)).sort();
  return Object.fromEntries(await Promise.all(names.map(async (name) => [name, (await readFile(join(folder, name))).toString('base64')] as const)));
}

/** The migrations of a plugin at version 3, counting their calls. */
function toVersion3(calls: number[]) {
  return {
    version: 3,
    migrate: {
      2: (v1: V1): V2 => {
        calls.push(2);
        return { laptops: Object.fromEntries(v1.laptops.map((serial) => [serial, { serial }])) };
      },
      3: (v2: V2 & Partial<V3>) => {
        calls.push(3);
        for (const laptop of Object.values(v2.laptops)) Object.assign(laptop, { nick: laptop.serial.toLowerCase() });
        v2.count = Object.keys(v2.laptops).length;
      },
    },
  };
}

const V3_DOCUMENT: V3 = {
  laptops: {
    SHC0000001A: { serial: 'SHC0000001A', nick: 'shc0000001a' },
    SHC0000002B: { serial: 'SHC0000002B', nick: 'shc0000002b' },
    SHC0000003C: { serial: 'SHC0000003C', nick: 'shc0000003c' },
  },
  count: 3,
};

describe('document versions', () => {
  it('a store that declares none is at version 1, in the format 0.1.0 wrote', async () => {
    const store = await open({ laptops: [] as string[] });
    await store.update((d) => void d.laptops.push('SHC0000001A'));
    expect(store.opened.document).toBe(1);
    const header = (await readFile(snapshotFile(storeDir(file)), 'utf8')).split('\n')[0];
    expect(header).toBe('{"format":"sugar-server-store/1","journal":1}');
  });

  it('migrates 1 → 3 through each migration in order, once, before the document is handed over', async () => {
    await writtenAtVersion1();
    const calls: number[] = [];
    const store = await open<V3>({ laptops: {}, count: 0 }, { document: toVersion3(calls) });
    expect(calls).toEqual([2, 3]);
    expect(store.data).toEqual(V3_DOCUMENT);
    expect(store.opened).toMatchObject({ documentFrom: 1, document: 3, records: 3 });
    // One snapshot records the migrated document and its version, and absorbs the journals.
    const snapshot = await readSnapshot<V3>(snapshotFile(storeDir(file)));
    expect(snapshot).toMatchObject({ document: 3, journal: 2, data: V3_DOCUMENT });
    expect((await readFile(snapshotFile(storeDir(file)), 'utf8')).split('\n')[0]).toBe('{"format":"sugar-server-store/2","journal":2,"document":3}');
    expect(Object.keys(await filesOf())).toEqual(['journal-00000002.log', 'snapshot.json']);

    await store.update((d) => {
      d.laptops.SHC0000004D = { serial: 'SHC0000004D', nick: 'new' };
      d.count = 4;
    });
    await store.close();
    const reopened = await open<V3>({ laptops: {}, count: 0 }, { document: toVersion3(calls) });
    expect(calls).toEqual([2, 3]);
    expect(reopened.opened.documentFrom).toBeNull();
    expect(reopened.data.count).toBe(4);
    expect(reopened.data.laptops.SHC0000004D).toEqual({ serial: 'SHC0000004D', nick: 'new' });
  });

  it('keeps the version through a compaction', async () => {
    await writtenAtVersion1();
    const store = await open<V3>({ laptops: {}, count: 0 }, { document: toVersion3([]) });
    await store.update((d) => void (d.count = 10));
    await store.close();
    await compactStore({ dir: storeDir(file), upTo: 2 });
    expect(await readSnapshot(snapshotFile(storeDir(file)))).toMatchObject({ document: 3, journal: 3, data: { count: 10 } });
    const calls: number[] = [];
    expect((await open<V3>({ laptops: {}, count: 0 }, { document: toVersion3(calls) })).data.count).toBe(10);
    expect(calls).toEqual([]);
  });

  it('makes a new store at the declared version, from the defaults, without migrating', async () => {
    const calls: number[] = [];
    const store = await open<V3>({ laptops: {}, count: 0 }, { document: toVersion3(calls) });
    expect(calls).toEqual([]);
    expect(store.data).toEqual({ laptops: {}, count: 0 });
    expect(await readSnapshot(snapshotFile(storeDir(file)))).toMatchObject({ document: 3 });
  });

  it('reads a document kept in the single-file format as version 1, and migrates it', async () => {
    await mkdir(join(dir, 'stores'), { recursive: true });
    await writeFile(file, JSON.stringify({ laptops: ['SHC0000001A', 'SHC0000002B', 'SHC0000003C'] }));
    const calls: number[] = [];
    const store = await open<V3>({ laptops: {}, count: 0 }, { document: toVersion3(calls) });
    expect(calls).toEqual([2, 3]);
    expect(store.data).toEqual(V3_DOCUMENT);
    expect(store.opened).toMatchObject({ migratedFrom: file, documentFrom: 1, document: 3 });
    expect(await readdir(join(dir, 'stores'))).toEqual(['laptops']);
  });

  it('refuses a document newer than the code declares, naming the writer, the file and both versions, and changes no byte', async () => {
    await writtenAtVersion1();
    await (await JsonStore.open<V3>(file, { laptops: {}, count: 0 }, { document: toVersion3([]) })).close();
    await appendFile(join(storeDir(file), 'journal-00000002.log'), Buffer.from([0, 0, 0, 40, 1]));
    const before = await filesOf();
    const refusal = open<V2>({ laptops: {} }, { document: { version: 2, migrate: { 2: () => ({ laptops: {} }) } } });
    await expect(refusal).rejects.toSatisfy((err) => ServerErrors.STORE_TOO_NEW.is(err));
    await expect(refusal).rejects.toThrow(
      `store ${snapshotFile(storeDir(file))} was written by a newer sugar-server-laptops (document version 3; sugar-server-laptops 2.0.0 reads document version 2 and older). ` +
        'Going back to an older version is refused so that nothing the newer one wrote is lost: install the newer sugar-server-laptops again',
    );
    expect(await filesOf()).toEqual(before);
    // And the code that declares nothing (version 1) is refused the same way.
    await expect(open({ laptops: [] })).rejects.toThrow(/document version 3; sugar-server-laptops 2.0.0 reads document version 1 and older/);
    expect(await filesOf()).toEqual(before);
  });

  it('a migration that throws fails the open with its error, and leaves every file as it was', async () => {
    await writtenAtVersion1();
    const before = await filesOf();
    const broken = new Error('laptop SHC0000002B has no serial');
    const declared = toVersion3([]);
    const failing = open<V3>({ laptops: {}, count: 0 }, {
      document: {
        ...declared,
        migrate: {
          ...declared.migrate,
          3: (v2: V2) => {
            delete v2.laptops.SHC0000001A;
            throw broken;
          },
        },
      },
    });
    await expect(failing).rejects.toSatisfy((err) => ServerErrors.STORE_MIGRATION.is(err) && (err as Error).cause === broken);
    await expect(failing).rejects.toThrow(
      `store ${snapshotFile(storeDir(file))} could not be brought to sugar-server-laptops's document version (from document version 2 to 3: laptop SHC0000002B has no serial); nothing in it was changed`,
    );
    expect(await filesOf()).toEqual(before);
    // The release that fixes the migration finds the old version and migrates it.
    expect((await open<V3>({ laptops: {}, count: 0 }, { document: toVersion3([]) })).data).toEqual(V3_DOCUMENT);
  });

  it('a missing migration, or a declaration that makes no sense, is refused before anything changes', async () => {
    await writtenAtVersion1();
    const before = await filesOf();
    await expect(open({}, { document: { version: 3, migrate: { 3: () => ({}) } } })).rejects.toThrow(/from document version 1 to 2: there is no migration to version 2 \(migrate\[2\]\)/);
    await expect(open({}, { document: { version: 0 } })).rejects.toThrow(/the document version declared, 0, is not a whole number from 1/);
    await expect(open({}, { document: { version: 2, migrate: { 3: () => ({}) } } })).rejects.toThrow(/migrate\[3\] is no version from 2 to 2/);
    await expect(open({}, { document: { version: 2, migrate: { 2: () => 'not a document' } } })).rejects.toSatisfy((err) => ServerErrors.STORE_MIGRATION.is(err));
    expect(await filesOf()).toEqual(before);
  });
});

/**
 * A real crash: a process opens the version-1 store as version 2 and is killed
 * with SIGKILL at `at`, found by wrapping the file system call made there.
 */
async function crashWhileMigrating(at: 'in the migration' | 'before the snapshot rename' | 'after the snapshot rename'): Promise<void> {
  const code = `
    import { syncBuiltinESMExports } from 'node:module';
    import fs from 'node:fs';
    const at = ${JSON.stringify(at)};
    const kill = () => process.kill(process.pid, 'SIGKILL');
    const { rename, unlink } = fs.promises;
    fs.promises.rename = async (from, to) => {
      if (at === 'before the snapshot rename' && to.endsWith('snapshot.json')) kill();
      await rename(from, to);
    };
    fs.promises.unlink = async (path) => {
      if (at === 'after the snapshot rename' && path.endsWith('.log')) kill();
      await unlink(path);
    };
    syncBuiltinESMExports();
    const { JsonStore } = await import(${JSON.stringify(STORAGE)});
    await JsonStore.open(${JSON.stringify(file)}, { laptops: {} }, { document: { version: 2, migrate: { 2: (v1) => {
      const laptops = Object.fromEntries(v1.laptops.map((serial) => [serial, { serial }]));
      if (at === 'in the migration') { v1.laptops = null; kill(); }
      return { laptops };
    } } } });
    process.exit(3);
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, sig) => resolve(sig)));
  expect(signal, stderr).toBe('SIGKILL');
}

describe('a crash while a document is migrated', () => {
  const v2 = (calls: number[]) => ({
    version: 2,
    migrate: {
      2: (v1: V1): V2 => {
        calls.push(2);
        return { laptops: Object.fromEntries(v1.laptops.map((serial) => [serial, { serial }])) };
      },
    },
  });
  const migrated: V2 = { laptops: { SHC0000001A: { serial: 'SHC0000001A' }, SHC0000002B: { serial: 'SHC0000002B' }, SHC0000003C: { serial: 'SHC0000003C' } } };

  it('in the migration itself: nothing was written, and the next start migrates', async () => {
    await writtenAtVersion1();
    const before = await filesOf();
    await crashWhileMigrating('in the migration');
    expect(await filesOf()).toEqual(before);
    const calls: number[] = [];
    expect((await open<V2>({ laptops: {} }, { document: v2(calls) })).data).toEqual(migrated);
    expect(calls).toEqual([2]);
  });

  it('between the migration and its record: the old version is found, and migrated again, once', async () => {
    await writtenAtVersion1();
    const before = await filesOf();
    await crashWhileMigrating('before the snapshot rename');
    const after = await filesOf();
    // The migrated snapshot was written in full beside the old one, but never took its place.
    expect(Object.keys(after).filter((name) => name.endsWith('.tmp'))).toHaveLength(1);
    expect(Object.fromEntries(Object.entries(after).filter(([name]) => !name.endsWith('.tmp')))).toEqual(before);
    const calls: number[] = [];
    const store = await open<V2>({ laptops: {} }, { document: v2(calls) });
    expect(calls).toEqual([2]);
    expect(store.data).toEqual(migrated);
    expect(Object.keys(await filesOf())).toEqual(['journal-00000002.log', 'snapshot.json']);
  });

  it('after the record, before the absorbed journal is removed: no migration again, and no record applied twice', async () => {
    await writtenAtVersion1();
    await crashWhileMigrating('after the snapshot rename');
    expect(Object.keys(await filesOf())).toEqual(['journal-00000001.log', 'snapshot.json']);
    expect(await readSnapshot(snapshotFile(storeDir(file)))).toMatchObject({ document: 2, journal: 2 });
    const calls: number[] = [];
    const store = await open<V2>({ laptops: {} }, { document: v2(calls) });
    expect(calls).toEqual([]);
    // Version 1's records (laptops.0, .1, .2 set) replayed on version 2 would have added keys "0", "1", "2".
    expect(store.data).toEqual(migrated);
    expect(Object.keys(await filesOf())).toEqual(['journal-00000002.log', 'snapshot.json']);
  });
});
