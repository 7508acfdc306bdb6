import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as hardlinks from './hardlink-copy.js';
import { latestSnapshot, listSnapshots, recover, removeSnapshot, takeSnapshot } from './snapshots.js';

const T1 = Date.UTC(2026, 0, 2, 3, 4, 5);
const T2 = Date.UTC(2026, 0, 2, 4, 0, 0);
const S1 = 'datastore-2026-01-02_03:04';
const S2 = 'datastore-2026-01-02_04:00';

/** Change a file as rsync does: a new file renamed over the old one, never written in place. */
async function replaceFile(path: string, text: string): Promise<void> {
  await writeFile(`${path}.tmp`, text);
  await rename(`${path}.tmp`, path);
}

describe('snapshots', () => {
  let dir: string;
  const current = () => join(dir, 'datastore-current');
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'backup-snapshots-'));
    await mkdir(current());
    await writeFile(join(current(), 'file'), 'one');
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await rm(dir, { recursive: true, force: true });
  });

  it('snapshot datastore-current under its UTC minute and point datastore-latest at it (relative link)', async () => {
    const taken = await takeSnapshot(dir, T1);
    expect(taken).toMatchObject({ name: S1, time: Date.UTC(2026, 0, 2, 3, 4), counts: { bytes: 3, files: 1 } });
    expect(await readlink(join(dir, 'datastore-latest'))).toBe(S1);
    expect(await latestSnapshot(dir)).toBe(S1);
    await replaceFile(join(current(), 'file'), 'two');
    await takeSnapshot(dir, T2);
    expect((await listSnapshots(dir)).map((s) => s.name)).toEqual([S1, S2]);
    expect(await readFile(join(dir, S1, 'file'), 'utf8')).toBe('one');
    expect(await readFile(join(dir, 'datastore-latest', 'file'), 'utf8')).toBe('two');
  });

  it('replaces a snapshot of the same minute with the newer one', async () => {
    await takeSnapshot(dir, T1);
    await replaceFile(join(current(), 'file'), 'newer');
    await takeSnapshot(dir, T1 + 30_000);
    expect((await listSnapshots(dir)).map((s) => s.name)).toEqual([S1]);
    expect(await readFile(join(dir, S1, 'file'), 'utf8')).toBe('newer');
    expect((await readdir(dir)).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('leaves earlier snapshots and datastore-latest as they were when a snapshot fails half-way (disk full)', async () => {
    await takeSnapshot(dir, T1);
    vi.spyOn(hardlinks, 'linkTree').mockImplementationOnce(async (_source, target) => {
      await mkdir(target);
      await writeFile(join(target, 'half'), '');
      throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    });
    await expect(takeSnapshot(dir, T2)).rejects.toThrow(/ENOSPC/);
    expect((await listSnapshots(dir)).map((s) => s.name)).toEqual([S1]);
    expect(await latestSnapshot(dir)).toBe(S1);
    expect((await readdir(dir)).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('refuses to snapshot when nothing was uploaded', async () => {
    await rm(current(), { recursive: true });
    await expect(takeSnapshot(dir, T1)).rejects.toThrow(/nothing was uploaded/);
  });

  describe('recover, after a crash', () => {
    it('removes a snapshot left half-built, a half-pruned one and a stray new link', async () => {
      await takeSnapshot(dir, T1);
      await mkdir(join(dir, `.building-${S2}`));
      await mkdir(join(dir, `.pruned-${S2}`));
      await symlink(S2, join(dir, '.datastore-latest.new'));
      await recover(dir);
      expect((await readdir(dir)).sort()).toEqual(['datastore-2026-01-02_03:04', 'datastore-current', 'datastore-latest']);
      expect(await latestSnapshot(dir)).toBe(S1);
    });

    it('puts back a same-minute snapshot that was set aside when the swap was cut short', async () => {
      await takeSnapshot(dir, T1);
      await rename(join(dir, S1), join(dir, `.replaced-${S1}`));
      await recover(dir);
      expect(await latestSnapshot(dir)).toBe(S1);
      expect(await readFile(join(dir, S1, 'file'), 'utf8')).toBe('one');
    });

    it('drops the set-aside copy when the new one made it', async () => {
      await takeSnapshot(dir, T1);
      await mkdir(join(dir, `.replaced-${S1}`));
      await recover(dir);
      expect((await readdir(dir)).filter((n) => n.startsWith('.'))).toEqual([]);
    });

    it('points a dangling datastore-latest at the newest complete snapshot, or removes it when there is none', async () => {
      await takeSnapshot(dir, T1);
      await takeSnapshot(dir, T2);
      await rm(join(dir, S2), { recursive: true });
      await recover(dir);
      expect(await latestSnapshot(dir)).toBe(S1);
      await rm(join(dir, S1), { recursive: true });
      await recover(dir);
      expect(await lstat(join(dir, 'datastore-latest')).catch(() => null)).toBeNull();
    });
  });

  it('prunes by renaming away first, never leaving half a snapshot under its name', async () => {
    await takeSnapshot(dir, T1);
    await takeSnapshot(dir, T2);
    await removeSnapshot(dir, S1);
    expect((await listSnapshots(dir)).map((s) => s.name)).toEqual([S2]);
    await expect(removeSnapshot(dir, 'datastore-current')).rejects.toThrow(/not a snapshot name/);
  });
});
