import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DurableJsonFile, JsonStore } from './storage.js';

const dirs: string[] = [];
async function tempDir() {
  const dir = await mkdtemp(join(tmpdir(), 'sugar-store-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  vi.restoreAllMocks();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('JsonStore', () => {
  it('starts from the defaults and persists updates', async () => {
    const file = join(await tempDir(), 'stores/x.json');
    const store = await JsonStore.open(file, { laptops: [] as string[] });
    await store.update((d) => d.laptops.push('SHC0123456A'));
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ laptops: ['SHC0123456A'] });
    const reopened = await JsonStore.open(file, { laptops: [] as string[] });
    expect(reopened.data.laptops).toEqual(['SHC0123456A']);
  });

  it('groups concurrent writers into few flushes, and each resolves with its change on disk', async () => {
    const file = join(await tempDir(), 'x.json');
    const store = await JsonStore.open(file, { n: [] as number[] });
    const write = vi.spyOn(DurableJsonFile.prototype, 'write');
    const onDisk: boolean[] = [];
    await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        store.update((d) => d.n.push(i)).then(async () => {
          const saved = JSON.parse(await readFile(file, 'utf8')) as { n: number[] };
          onDisk.push(saved.n.includes(i));
        }),
      ),
    );
    expect(onDisk).toHaveLength(500);
    expect(onDisk.every(Boolean)).toBe(true);
    // The first writer flushes alone; everyone arriving meanwhile shares the next flush.
    expect(write.mock.calls.length).toBeLessThanOrEqual(3);
  });

  it('never overwrites a document it cannot parse, and says which file', async () => {
    const dir = await tempDir();
    const file = join(dir, 'x.json');
    await writeFile(file, '{"half":');
    await expect(JsonStore.open(file, {})).rejects.toMatchObject({ code: 'SERVER_ERR_STORE_CORRUPT', message: expect.stringContaining(file) });
    expect(await readFile(file, 'utf8')).toBe('{"half":');
  });

  it('drops temp files left by a crash mid-write', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'x.json'), '{"ok":true}');
    await writeFile(join(dir, '.x.json.4242.tmp'), '{"partial');
    const store = await JsonStore.open(join(dir, 'x.json'), {});
    expect(store.data).toEqual({ ok: true });
    expect(await readdir(dir)).toEqual(['x.json']);
  });

  it('rejects the writers of a failed flush, and later ones still succeed', async () => {
    const file = join(await tempDir(), 'x.json');
    const store = await JsonStore.open(file, { n: 0 });
    vi.spyOn(DurableJsonFile.prototype, 'write').mockRejectedValueOnce(Object.assign(new Error('No space left on device'), { code: 'ENOSPC' }));
    await expect(store.update((d) => (d.n = 1))).rejects.toThrow('No space left on device');
    await store.update((d) => (d.n = 2));
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ n: 2 });
  });
});
