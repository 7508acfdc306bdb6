/**
 * A hard-link copy of a tree, `cp -al`: folders are made anew, files are
 * linked (no data is copied, and rsync never writes into a file in place, so a
 * later transfer cannot change what a snapshot holds), symlinks are copied as
 * they are. Then one `find` counts what the copy holds.
 */
import { lstat } from 'node:fs/promises';
import { runTool } from './system-tools.js';

/** What a snapshot holds. */
export interface TreeCounts {
  /** Bytes of regular files. */
  bytes: number;
  files: number;
  /** Folders, the top one included. */
  directories: number;
  /** Journal entries: `<uid[:2]>/<uid>` folders (uid of 36 characters), as Sugar's datastore finds them. */
  entries: number;
}

/** Copy `source` to `target`, which must not exist, by hard links. */
export async function linkTree(source: string, target: string): Promise<TreeCounts> {
  if (await lstat(target).catch(() => null)) throw Object.assign(new Error(`EEXIST: ${target} already exists`), { code: 'EEXIST' });
  // -T: `target` is the copy itself, never a folder to copy into.
  await runTool('cp', ['-al', '-T', '--', source, target]);
  return countTree(target);
}

/** Count a tree's files, bytes, folders and Journal entries. */
export async function countTree(dir: string): Promise<TreeCounts> {
  // NUL-separated records: a laptop's file names may hold newlines.
  const listing = await runTool('find', [dir, '-mindepth', '1', '-printf', '%y %s %P\\0']);
  const counts: TreeCounts = { bytes: 0, files: 0, directories: 1, entries: 0 };
  for (const record of listing.toString('utf8').split('\0')) {
    if (record === '') continue;
    const [type, size] = record.split(' ', 2);
    const path = record.slice(type!.length + size!.length + 2);
    if (type === 'f') {
      counts.files++;
      counts.bytes += Number(size);
    } else if (type === 'd') {
      counts.directories++;
      const parts = path.split('/');
      if (parts.length === 2 && parts[0]!.length === 2 && parts[1]!.length === 36) counts.entries++;
    }
  }
  return counts;
}
