import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ServerErrors } from '../errors.js';
import { JsonStore } from '../storage.js';
import { checkStoreFormats, STORE_FORMAT } from './format.js';

describe('store format versions', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sugar-server-format-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  async function storeWritten(): Promise<string> {
    const store = await JsonStore.open(join(dir, 'stores/laptops.json'), { laptops: [] as string[] });
    await store.update((d) => void d.laptops.push('SHC12345678'));
    await store.close();
    return join(dir, 'stores/laptops');
  }

  it('accepts what this version writes', async () => {
    await storeWritten();
    await expect(checkStoreFormats(join(dir, 'stores'))).resolves.toBeUndefined();
    const reopened = await JsonStore.open(join(dir, 'stores/laptops.json'), { laptops: [] as string[] });
    expect(reopened.data.laptops).toEqual(['SHC12345678']);
    await reopened.close();
  });

  it('reads format 2, where the header names a document past version 1', async () => {
    const store = await JsonStore.open(join(dir, 'stores/laptops.json'), { laptops: {} as Record<string, true> }, { document: { version: 2 } });
    await store.update((d) => void (d.laptops.SHC12345678 = true));
    await store.close();
    expect((await readFile(join(dir, 'stores/laptops/snapshot.json'), 'utf8')).split('\n')[0]).toBe('{"format":"sugar-server-store/2","journal":1,"document":2}');
    await expect(checkStoreFormats(join(dir, 'stores'))).resolves.toBeUndefined();
    const reopened = await JsonStore.open(join(dir, 'stores/laptops.json'), { laptops: {} as Record<string, true> }, { document: { version: 2 } });
    expect(reopened.data.laptops).toEqual({ SHC12345678: true });
    await reopened.close();
  });

  it('refuses a snapshot from a newer version, naming the file and both formats', async () => {
    const store = await storeWritten();
    await writeFile(join(store, 'snapshot.json'), `${JSON.stringify({ format: `sugar-server-store/${STORE_FORMAT + 1}`, journal: 1, shape: 'new' })}\n{}`);
    const refusal = checkStoreFormats(join(dir, 'stores'));
    await expect(refusal).rejects.toSatisfy((err) => ServerErrors.STORE_TOO_NEW.is(err));
    await expect(refusal).rejects.toThrow(`store ${join(store, 'snapshot.json')} was written by a newer sugar-server (store format ${STORE_FORMAT + 1}; this version reads format ${STORE_FORMAT} and older)`);
    await expect(JsonStore.open(join(dir, 'stores/laptops.json'), {})).rejects.toSatisfy((err) => ServerErrors.STORE_TOO_NEW.is(err));
  });

  it('refuses a journal from a newer version', async () => {
    const store = await storeWritten();
    await writeFile(join(store, 'journal-00000002.log'), `SSJRNL${STORE_FORMAT + 1}\n`);
    await expect(checkStoreFormats(join(dir, 'stores'))).rejects.toThrow(/journal-00000002\.log was written by a newer sugar-server/);
  });

  it('still tells damage from a newer format', async () => {
    await mkdir(join(dir, 'stores/broken'), { recursive: true });
    await writeFile(join(dir, 'stores/broken/snapshot.json'), 'not json\n{}');
    await expect(checkStoreFormats(join(dir, 'stores'))).resolves.toBeUndefined();
    await expect(JsonStore.open(join(dir, 'stores/broken.json'), {})).rejects.toSatisfy((err) => ServerErrors.STORE_CORRUPT.is(err));
  });
});
