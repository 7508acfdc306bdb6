/**
 * Everything a snapshot's files are, read with lstat: type, content (or a
 * symlink's target), mode, owner, group, mtime and access time to the
 * nanosecond, inode and link count. Taken before and after a laptop acts, to
 * show that nothing in an earlier snapshot moved. Files are read with
 * O_NOATIME (the suites run as root), so reading them here leaves their access
 * times alone.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { runTool } from './run-tool.js';

export interface EntryState {
  readonly type: 'file' | 'dir' | 'symlink' | 'other';
  /** sha256 of a file, a symlink's target, '' for the rest. */
  readonly content: string;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly mtimeNs: bigint;
  readonly atimeNs: bigint;
  readonly ino: bigint;
  readonly nlink: bigint;
}

/** Every entry under `dir`, by path relative to it (the folder itself as '.'). */
export async function treeState(dir: string): Promise<Map<string, EntryState>> {
  const state = new Map<string, EntryState>();
  const visit = async (relative: string): Promise<void> => {
    const path = join(dir, relative);
    const stat = await lstat(path, { bigint: true });
    const type = stat.isFile() ? 'file' : stat.isDirectory() ? 'dir' : stat.isSymbolicLink() ? 'symlink' : 'other';
    const content = type === 'file'
      ? createHash('sha256').update(await readQuietly(path)).digest('hex')
      : type === 'symlink' ? await readlink(path) : '';
    state.set(relative, { type, content, mode: Number(stat.mode), uid: Number(stat.uid), gid: Number(stat.gid), mtimeNs: stat.mtimeNs, atimeNs: stat.atimeNs, ino: stat.ino, nlink: stat.nlink });
    if (type === 'dir') for (const name of (await readdir(path)).sort()) await visit(relative === '.' ? name : join(relative, name));
  };
  await visit('.');
  return state;
}

async function readQuietly(path: string): Promise<Buffer> {
  const file = await open(path, constants.O_RDONLY | constants.O_NOATIME);
  try {
    return await file.readFile();
  } finally {
    await file.close();
  }
}

/**
 * Give every file under `dir` an access time long past (nothing else changes),
 * so that a read of it would show: with relatime, the file system updates an
 * access time older than a day on the next read.
 */
export async function ageAccessTimes(dir: string, state: ReadonlyMap<string, EntryState>): Promise<void> {
  const files = [...state].filter(([, entry]) => entry.type === 'file').map(([path]) => join(dir, path));
  const touched = await runTool('touch', ['-a', '-d', '2020-01-01T00:00:00Z', '--', ...files]);
  if (touched.code !== 0) throw new Error(`touch failed: ${touched.stderr}`);
}

/**
 * How `after` differs from `before`, one line per difference; [] when the
 * tree is as it was. A file's link count may only fall (datastore-current
 * letting go of a file it shared); everything else must be equal.
 */
export function treeChanges(before: ReadonlyMap<string, EntryState>, after: ReadonlyMap<string, EntryState>): string[] {
  const changes: string[] = [];
  for (const [path, was] of before) {
    const now = after.get(path);
    if (!now) {
      changes.push(`${path}: removed`);
      continue;
    }
    for (const key of ['type', 'content', 'mode', 'uid', 'gid', 'mtimeNs', 'atimeNs', 'ino'] as const) {
      if (now[key] !== was[key]) changes.push(`${path}: ${key} ${String(was[key])} -> ${String(now[key])}`);
    }
    if (now.nlink > was.nlink) changes.push(`${path}: link count rose ${was.nlink} -> ${now.nlink}`);
  }
  for (const path of after.keys()) if (!before.has(path)) changes.push(`${path}: added`);
  return changes;
}
