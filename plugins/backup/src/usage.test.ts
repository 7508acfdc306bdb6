import { link, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { distinctInodeBytes, folderShares, folderUsage } from './usage.js';

describe('folderUsage', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'backup-usage-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('counts each file once however many snapshots link to it', async () => {
    await mkdir(join(dir, 'a'));
    await mkdir(join(dir, 'b'));
    await writeFile(join(dir, 'a', 'big'), Buffer.alloc(1000));
    await link(join(dir, 'a', 'big'), join(dir, 'b', 'big'));
    await writeFile(join(dir, 'b', 'small'), 'xyz');
    expect(await folderUsage(dir)).toBe(1003);
  });

  it('is 0 for a folder that does not exist', async () => {
    expect(await folderUsage(join(dir, 'none'))).toBe(0);
  });

  it('reads find\'s listing from its bytes: once per inode, 64-bit inode numbers exact, a cut-off record ignored', () => {
    const listing = Buffer.from([
      '12 1000', '13 5', '12 1000',
      // Two inodes that one double would round to the same number.
      '18446744073709551614 7', '18446744073709551615 11',
      '99 4',
    ].map((record) => `${record}\0`).join('') + '100 123');
    expect(distinctInodeBytes(listing)).toBe(1000 + 5 + 7 + 11 + 4);
    expect(distinctInodeBytes(Buffer.alloc(0))).toBe(0);
  });
});

describe('folderShares', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'backup-shares-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('groups each file, once, by the top-level names that hold it', async () => {
    for (const name of ['datastore-current', 'datastore-2026-06-01_12:00', 'datastore-2026-06-02_12:00']) await mkdir(join(dir, name, 'ab'), { recursive: true });
    await writeFile(join(dir, 'datastore-2026-06-01_12:00', 'ab', 'old'), Buffer.alloc(100));
    await writeFile(join(dir, 'datastore-current', 'ab', 'kept'), Buffer.alloc(30));
    await link(join(dir, 'datastore-current', 'ab', 'kept'), join(dir, 'datastore-2026-06-01_12:00', 'ab', 'kept'));
    await link(join(dir, 'datastore-current', 'ab', 'kept'), join(dir, 'datastore-2026-06-02_12:00', 'ab', 'kept'));
    await link(join(dir, 'datastore-current', 'ab', 'kept'), join(dir, 'datastore-2026-06-02_12:00', 'ab', 'kept-twice'));
    await writeFile(join(dir, 'datastore-2026-06-01_12:00', 'ab', 'old-too'), Buffer.alloc(5));
    const shares = await folderShares(dir);
    expect(shares).toHaveLength(2);
    expect(shares).toContainEqual({ holders: ['datastore-2026-06-01_12:00'], bytes: 105 });
    expect(shares).toContainEqual({ holders: ['datastore-2026-06-01_12:00', 'datastore-2026-06-02_12:00', 'datastore-current'], bytes: 30 });
  });
});
