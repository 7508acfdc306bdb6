import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ObjectIndex, type Stored } from './object-index.js';

const ID = 'sugar-server objects v1 s3://b/p/ plain';
const name = (i: number) => i.toString(16).padStart(64, '0');
const PACK = 'cd'.repeat(32);
const OTHER_PACK = 'ef'.repeat(32);
const listed = (...stored: (string | Stored)[]) => async function* () {
  for (const s of stored) yield typeof s === 'string' ? { name: s, at: null } : s;
};
const notListed = () => {
  throw new Error('the index was rebuilt from a listing');
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'object-index-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the index of objects in the bucket', () => {
  it('is rebuilt from a listing when missing, then kept across opens', async () => {
    const file = join(dir, 'rebuilt');
    const first = await ObjectIndex.open(file, ID, listed(name(1), name(2)));
    expect(first.rebuilt).toBe(true);
    expect(first.index.has(name(1)) && first.index.has(name(2))).toBe(true);
    await Promise.all(Array.from({ length: 50 }, (_, i) => first.index.add({ name: name(100 + i), at: null })));
    await first.index.close();
    const again = await ObjectIndex.open(file, ID, notListed);
    expect(again.rebuilt).toBe(false);
    expect(again.index.size).toBe(52);
    await again.index.close();
  });

  it('leaves out a torn last line, and starts anew for another bucket', async () => {
    const file = join(dir, 'torn');
    await writeFile(file, `${ID}\n${name(1)}\n${name(2).slice(0, 30)}`);
    const opened = await ObjectIndex.open(file, ID, notListed);
    expect(opened.index.has(name(1))).toBe(true);
    expect(opened.index.size).toBe(1);
    await opened.index.add({ name: name(3), at: null });
    await opened.index.close();
    expect(await readFile(file, 'utf8')).toBe(`${ID}\n${name(1)}\n${name(3)}\n`);
    const other = await ObjectIndex.open(file, `${ID} other`, listed(name(9)));
    expect(other.rebuilt).toBe(true);
    expect(other.index.has(name(1))).toBe(false);
    await other.index.close();
  });

  it('keeps where each blob is in its pack across opens, and forgets the blobs of a deleted pack', async () => {
    const file = join(dir, 'packs');
    const first = await ObjectIndex.open(file, ID, listed(name(1), { name: name(2), at: { pack: PACK, offset: 0, length: 40 } }));
    expect(first.index.get(name(1))).toEqual({ at: null });
    expect(first.index.get(name(2))).toEqual({ at: { pack: PACK, offset: 0, length: 40 } });
    await first.index.add({ name: name(3), at: { pack: OTHER_PACK, offset: 0, length: 7 } }, { name: name(4), at: { pack: OTHER_PACK, offset: 7, length: 0 } });
    // Content already known keeps its first location.
    await first.index.add({ name: name(2), at: { pack: OTHER_PACK, offset: 7, length: 40 } });
    await first.index.close();
    const again = await ObjectIndex.open(file, ID, notListed);
    expect([1, 2, 3, 4, 5].map((i) => again.index.get(name(i))?.at)).toEqual([null, { pack: PACK, offset: 0, length: 40 }, { pack: OTHER_PACK, offset: 0, length: 7 }, { pack: OTHER_PACK, offset: 7, length: 0 }, undefined]);
    await again.index.remove([{ name: name(1) }], [OTHER_PACK], ID);
    expect([1, 2, 3, 4].map((i) => again.index.has(name(i)))).toEqual([false, true, false, false]);
    await again.index.close();
    expect(await readFile(file, 'utf8')).toBe(`${ID}\n${name(2)} ${PACK} 0 40\n`);
  });

  it('keeps which contents are stored compressed, objects and blobs, and forgets an object only in the encoding the sweep deleted', async () => {
    const file = join(dir, 'encodings');
    const first = await ObjectIndex.open(file, ID, listed({ name: name(1), at: null, encoding: 'br' }, name(2)));
    await first.index.add({ name: name(3), at: { pack: PACK, offset: 0, length: 9 }, encoding: 'br' }, { name: name(4), at: { pack: PACK, offset: 9, length: 5 } });
    await first.index.close();
    expect(await readFile(file, 'utf8')).toBe(`${ID}\n${name(1)} br\n${name(2)}\n${name(3)} ${PACK} 0 9 br\n${name(4)} ${PACK} 9 5\n`);
    const again = await ObjectIndex.open(file, ID, notListed);
    expect([1, 2, 3, 4].map((i) => again.index.get(name(i)))).toEqual([
      { at: null, encoding: 'br' },
      { at: null },
      { at: { pack: PACK, offset: 0, length: 9 }, encoding: 'br' },
      { at: { pack: PACK, offset: 9, length: 5 } },
    ]);
    // The sweep deleted the plain copy of 1 and the compressed copy of 2: neither is what the index holds.
    await again.index.remove([{ name: name(1) }, { name: name(2), encoding: 'br' }], [], ID);
    expect(again.index.has(name(1)) && again.index.has(name(2))).toBe(true);
    await again.index.remove([{ name: name(1), encoding: 'br' }], [], ID);
    expect(again.index.has(name(1))).toBe(false);
    await again.index.close();
  });

  it('skips lines of an encoding it does not know', async () => {
    const file = join(dir, 'unknown-encoding');
    await writeFile(file, `${ID}\n${name(1)} zstd\n${name(2)} ${PACK} 0 9 xz\n${name(3)} br\n`);
    const opened = await ObjectIndex.open(file, ID, notListed);
    expect([1, 2, 3].map((i) => opened.index.has(name(i)))).toEqual([false, false, true]);
    await opened.index.close();
  });
});
