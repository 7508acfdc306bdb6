import { execFile } from 'node:child_process';
import { lstat, lutimes, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { linkTree } from './hardlink-copy.js';

const UID = 'ab345678-1234-1234-1234-123456789012';

describe('linkTree', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'backup-link-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('links every file (same inode), makes folders anew, copies symlink text, and counts entries', async () => {
    const source = join(dir, 'current');
    await mkdir(join(source, 'ab', UID, 'metadata'), { recursive: true });
    await mkdir(join(source, 'cd', 'cd345678-1234-1234-1234-123456789012'), { recursive: true });
    await writeFile(join(source, 'ab', UID, 'data'), 'hello');
    await writeFile(join(source, 'ab', UID, 'metadata', 'title'), 'Hi');
    await writeFile(join(source, 'version'), '6');
    await symlink('/rsyncd-munged//etc', join(source, 'link'));
    const counts = await linkTree(source, join(dir, 'snap'));
    expect(counts).toEqual({ bytes: 8, files: 3, directories: 6, entries: 2 });
    const [a, b] = await Promise.all([lstat(join(source, 'ab', UID, 'data')), lstat(join(dir, 'snap', 'ab', UID, 'data'))]);
    expect(b.ino).toBe(a.ino);
    expect(await readFile(join(dir, 'snap', 'ab', UID, 'data'), 'utf8')).toBe('hello');
    expect(await readlink(join(dir, 'snap', 'link'))).toBe('/rsyncd-munged//etc');
    expect((await lstat(join(dir, 'snap', 'ab'))).ino).not.toBe((await lstat(join(source, 'ab'))).ino);
  });

  it('gives the copy symlinks of its own, with the same text and time, so setting a time in one never reaches the other', async () => {
    const source = join(dir, 'src');
    await mkdir(source);
    await symlink('/rsyncd-munged/version', join(source, 'link'));
    const then = new Date('2020-02-02T02:02:02Z');
    await lutimes(join(source, 'link'), then, then);
    await linkTree(source, join(dir, 'dst'));
    const [original, copy] = await Promise.all([lstat(join(source, 'link')), lstat(join(dir, 'dst', 'link'))]);
    expect(copy.isSymbolicLink()).toBe(true);
    expect(copy.ino).not.toBe(original.ino);
    expect(copy.mtimeMs).toBe(then.getTime());
    expect(await readlink(join(dir, 'dst', 'link'))).toBe('/rsyncd-munged/version');
  });

  it('leaves out FIFOs and other special files, at any depth', async () => {
    const source = join(dir, 'src');
    await mkdir(join(source, 'deeper'), { recursive: true });
    await writeFile(join(source, 'kept'), 'x');
    await promisify(execFile)('mkfifo', [join(source, 'fifo'), join(source, 'deeper', 'fifo')]);
    expect(await linkTree(source, join(dir, 'dst'))).toMatchObject({ files: 1, directories: 2 });
    expect(await readdir(join(dir, 'dst'))).toEqual(['deeper', 'kept']);
    expect(await readdir(join(dir, 'dst', 'deeper'))).toEqual([]);
  });

  it('copies a symlink whose name is not UTF-8', async () => {
    const source = join(dir, 'src');
    await mkdir(source);
    await symlink('target', Buffer.from(`${source}/caf\xe9`, 'latin1'));
    await linkTree(source, join(dir, 'dst'));
    const [original, copy] = await Promise.all([lstat(Buffer.from(`${source}/caf\xe9`, 'latin1')), lstat(Buffer.from(`${dir}/dst/caf\xe9`, 'latin1'))]);
    expect(copy.isSymbolicLink()).toBe(true);
    expect(copy.ino).not.toBe(original.ino);
  });

  it('counts files whose names hold newlines or spaces right', async () => {
    await mkdir(join(dir, 'src'));
    await writeFile(join(dir, 'src', 'a\nb c'), '12345');
    expect(await linkTree(join(dir, 'src'), join(dir, 'dst'))).toEqual({ bytes: 5, files: 1, directories: 1, entries: 0 });
  });

  it('refuses to copy into a target that exists', async () => {
    await mkdir(join(dir, 'src'));
    await mkdir(join(dir, 'dst'));
    await expect(linkTree(join(dir, 'src'), join(dir, 'dst'))).rejects.toThrow(/EEXIST/);
  });
});
