/**
 * A snapshot's copy of a tree: `cp -al`, folders made anew and files linked
 * (no data is copied, and rsync never writes into a file in place, so a later
 * transfer cannot change what a snapshot holds), then one `find` walks the copy
 * to give it symlinks of its own and drop special files, and counts what it
 * holds.
 *
 * Symlinks are copied, not linked: rsync `-t` sets the time of a symlink it
 * finds unchanged in place, which would reach every snapshot sharing it.
 * FIFOs, sockets and devices are left out: backups hold none, and one that an
 * older transfer left in datastore-current goes no further.
 */
import { lstat, lutimes, readlink, symlink, unlink } from 'node:fs/promises';
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
  const records = await listTree(target);
  for (const { type, path } of records) {
    if (type === 'l') await unshareSymlink(bytePath(target, path));
    else if (type !== 'f' && type !== 'd') await unlink(bytePath(target, path));
  }
  return countRecords(records);
}

/** Count a tree's files, bytes, folders and Journal entries. */
export async function countTree(dir: string): Promise<TreeCounts> {
  return countRecords(await listTree(dir));
}

/** One entry under a tree: find's type letter (f, d, l, p, s, b, c), size, and path relative to the tree (latin1, one character a byte). */
interface TreeRecord {
  readonly type: string;
  readonly size: number;
  readonly path: string;
}

async function listTree(dir: string): Promise<TreeRecord[]> {
  // NUL-separated records: a laptop's file names may hold newlines.
  const listing = await runTool('find', [dir, '-mindepth', '1', '-printf', '%y %s %P\\0']);
  const records: TreeRecord[] = [];
  // latin1 keeps every byte of names that are not UTF-8, so they can be named back to the file system.
  for (const record of listing.toString('latin1').split('\0')) {
    if (record === '') continue;
    const [type, size] = record.split(' ', 2);
    records.push({ type: type!, size: Number(size), path: record.slice(type!.length + size!.length + 2) });
  }
  return records;
}

function countRecords(records: readonly TreeRecord[]): TreeCounts {
  const counts: TreeCounts = { bytes: 0, files: 0, directories: 1, entries: 0 };
  for (const { type, size, path } of records) {
    if (type === 'f') {
      counts.files++;
      counts.bytes += size;
    } else if (type === 'd') {
      counts.directories++;
      const parts = path.split('/');
      if (parts.length === 2 && parts[0]!.length === 2 && parts[1]!.length === 36) counts.entries++;
    }
  }
  return counts;
}

/** `dir/relative` as bytes, `relative` being a latin1 path from {@link listTree}. */
function bytePath(dir: string, relative: string): Buffer {
  return Buffer.concat([Buffer.from(`${dir}/`), Buffer.from(relative, 'latin1')]);
}

/** Replace a linked symlink by a new one with the same text and times. */
async function unshareSymlink(path: Buffer): Promise<void> {
  const [text, stat] = await Promise.all([readlink(path, { encoding: 'buffer' }), lstat(path)]);
  await unlink(path);
  await symlink(text, path);
  await lutimes(path, stat.atime, stat.mtime);
}
