/**
 * How many bytes a laptop's folder holds, each file counted once however many
 * snapshots link to it: what the quotas are measured against. One `find`
 * lists inode, size and path of every regular file.
 */
import type { FileShare } from './fair-share.js';
import { runTool } from './system-tools.js';

/** Sum of the sizes of distinct regular files (by inode) under `dir`; 0 when it does not exist. */
export async function folderUsage(dir: string): Promise<number> {
  return (await folderShares(dir)).reduce((sum, share) => sum + share.bytes, 0);
}

/**
 * The distinct regular files under `dir`, grouped by the top-level names
 * holding them (a file linked from two snapshots is held by both): what
 * removing a snapshot would free. Empty when `dir` does not exist.
 */
export async function folderShares(dir: string): Promise<FileShare[]> {
  const listing = await runTool('find', [dir, '-type', 'f', '-printf', '%i %s %P\\0']).catch(() => null);
  if (listing === null) return [];
  const files = new Map<string, { bytes: number; holders: Set<string> }>();
  // latin1: one character a byte, whatever the names' encoding.
  for (const record of listing.toString('latin1').split('\0')) {
    const [inode, size] = record.split(' ', 2);
    if (!inode || size === undefined) continue;
    const path = record.slice(inode.length + size.length + 2);
    const holder = path.split('/', 1)[0]!;
    const file = files.get(inode) ?? { bytes: Number(size), holders: new Set<string>() };
    file.holders.add(holder);
    files.set(inode, file);
  }
  const shares = new Map<string, FileShare>();
  for (const { bytes, holders } of files.values()) {
    const names = [...holders].sort();
    const key = names.join('\0');
    shares.set(key, { holders: names, bytes: (shares.get(key)?.bytes ?? 0) + bytes });
  }
  return [...shares.values()];
}
