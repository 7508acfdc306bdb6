import { lstat, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSnapshotName, LaptopFolders, snapshotName, snapshotTime } from './laptop-folder.js';

describe('snapshot names', () => {
  it('are datastore-YYYY-MM-DD_HH:MM in UTC, to the minute, as ds-postprocess named them', () => {
    expect(snapshotName(Date.UTC(2026, 0, 2, 3, 4, 59))).toBe('datastore-2026-01-02_03:04');
    expect(snapshotTime('datastore-2026-01-02_03:04')).toBe(Date.UTC(2026, 0, 2, 3, 4));
  });

  it('are told from anything else', () => {
    for (const name of ['datastore-2026-13-02_03:04', 'datastore-2026-02-30_03:04', 'datastore-latest', 'datastore-current', 'x']) {
      expect(isSnapshotName(name)).toBe(false);
    }
  });
});

describe('LaptopFolders.prepare', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'backup-folders-'));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('makes the three upload folders', async () => {
    const dir = await new LaptopFolders(root).prepare('SHC0123456A');
    for (const name of ['datastore-current', 'power-logs', 'documents']) expect((await lstat(join(dir, name))).isDirectory()).toBe(true);
  });

  it('replaces a symlink or file standing where an upload folder belongs, so rsync never writes through it', async () => {
    const outside = join(root, 'outside');
    await mkdir(outside);
    const dir = join(root, 'SHC0123456A');
    await mkdir(dir);
    await symlink(outside, join(dir, 'datastore-current'));
    await writeFile(join(dir, 'documents'), 'x');
    await new LaptopFolders(root).prepare('SHC0123456A');
    expect((await lstat(join(dir, 'datastore-current'))).isDirectory()).toBe(true);
    expect((await lstat(join(dir, 'documents'))).isDirectory()).toBe(true);
    expect((await lstat(outside)).isDirectory()).toBe(true);
  });
});
