import { link, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { folderUsage } from './usage.js';

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
});
