/**
 * Everything a snapshot's files are, read with lstat: type, content (or a
 * symlink's target), mode, owner, group, mtime to the nanosecond, inode and
 * link count. Taken before and after a laptop acts, to show that nothing in an
 * earlier snapshot moved.
 */
import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';

export interface EntryState {
  readonly type: 'file' | 'dir' | 'symlink' | 'other';
  /** sha256 of a file, a symlink's target, '' for the rest. */
  readonly content: string;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly mtimeNs: bigint;
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
      ? createHash('sha256').update(await readFile(path)).digest('hex')
      : type === 'symlink' ? await readlink(path) : '';
    state.set(relative, { type, content, mode: Number(stat.mode), uid: Number(stat.uid), gid: Number(stat.gid), mtimeNs: stat.mtimeNs, ino: stat.ino, nlink: stat.nlink });
    if (type === 'dir') for (const name of (await readdir(path)).sort()) await visit(relative === '.' ? name : join(relative, name));
  };
  await visit('.');
  return state;
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
    for (const key of ['type', 'content', 'mode', 'uid', 'gid', 'mtimeNs', 'ino'] as const) {
      if (now[key] !== was[key]) changes.push(`${path}: ${key} ${String(was[key])} -> ${String(now[key])}`);
    }
    if (now.nlink > was.nlink) changes.push(`${path}: link count rose ${was.nlink} -> ${now.nlink}`);
  }
  for (const path of after.keys()) if (!before.has(path)) changes.push(`${path}: added`);
  return changes;
}
