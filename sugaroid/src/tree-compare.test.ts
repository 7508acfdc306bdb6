import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compareTrees } from './tree-compare.js';

describe('compareTrees', () => {
  let a: string;
  let b: string;
  beforeEach(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sugaroid-compare-'));
    a = join(dir, 'a');
    b = join(dir, 'b');
    for (const root of [a, b]) {
      await mkdir(join(root, 'x', 'y'), { recursive: true });
      await writeFile(join(root, 'x', 'y', 'file'), Buffer.alloc(600_000, 7));
      await symlink('../target', join(root, 'x', 'link'));
    }
  });
  afterEach(() => rm(join(a, '..'), { recursive: true, force: true }));

  it('finds no difference between equal trees', async () => {
    expect(await compareTrees(a, b)).toEqual([]);
  });

  it('reports a changed byte, a different length, missing and extra names, a changed kind and a changed symlink', async () => {
    const changed = Buffer.alloc(600_000, 7);
    changed[599_999] = 8;
    await writeFile(join(b, 'x', 'y', 'file'), changed);
    await writeFile(join(a, 'short'), 'abc');
    await writeFile(join(b, 'short'), 'ab');
    await writeFile(join(a, 'only-a'), '');
    await writeFile(join(b, 'only-b'), '');
    await mkdir(join(a, 'kind'));
    await writeFile(join(b, 'kind'), '');
    await rm(join(b, 'x', 'link'));
    await symlink('/elsewhere', join(b, 'x', 'link'));
    expect((await compareTrees(a, b)).sort()).toEqual([
      'content differs short', 'content differs x/y/file', 'extra only-b', 'kind is a file, expected a folder', 'missing only-a', 'symlink x/link points elsewhere',
    ]);
  });
});
