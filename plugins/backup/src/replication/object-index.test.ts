import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ObjectIndex } from './object-index.js';

const ID = 'sugar-server objects v1 s3://b/p/ plain';
const name = (i: number) => i.toString(16).padStart(64, '0');
const listed = (...names: string[]) => async function* () {
  for (const n of names) yield { key: `objects/${n.slice(0, 2)}/${n}` };
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
    await Promise.all(Array.from({ length: 50 }, (_, i) => first.index.add(name(100 + i))));
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
    await opened.index.add(name(3));
    await opened.index.close();
    expect(await readFile(file, 'utf8')).toBe(`${ID}\n${name(1)}\n${name(3)}\n`);
    const other = await ObjectIndex.open(file, `${ID} other`, listed(name(9)));
    expect(other.rebuilt).toBe(true);
    expect(other.index.has(name(1))).toBe(false);
    await other.index.close();
  });
});
