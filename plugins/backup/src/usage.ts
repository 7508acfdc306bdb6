/**
 * How many bytes a laptop's folder holds, each file counted once however many
 * snapshots link to it: what the quotas are measured against. One `find`
 * lists inode, size and path of every regular file.
 */
import type { FileShare } from './fair-share.js';
import { runTool } from './system-tools.js';

/**
 * Sum of the sizes of distinct regular files (by inode) under `dir`; 0 when it
 * does not exist. Measured after every snapshot, over all of the laptop's
 * snapshots: the listing carries no paths and is read from its bytes, so the
 * daemon makes no string per file.
 */
export async function folderUsage(dir: string): Promise<number> {
  const listing = await runTool('find', [dir, '-type', 'f', '-printf', '%i %s\\0']).catch(() => null);
  return listing === null ? 0 : distinctInodeBytes(listing);
}

/** The sizes in a listing of `find -printf '%i %s\0'` (inode, size, NUL) summed once per inode. */
export function distinctInodeBytes(listing: Buffer): number {
  const seen = new Set<number | string>();
  let total = 0;
  for (let at = 0; at < listing.length;) {
    const end = listing.indexOf(0, at);
    const space = listing.indexOf(0x20, at);
    if (end < 0 || space < 0 || space > end) break;
    const inode = decimal(listing, at, space);
    if (!seen.has(inode)) {
      seen.add(inode);
      total += Number(decimal(listing, space + 1, end));
    }
    at = end + 1;
  }
  return total;
}

/** The decimal number in `bytes[start, end)`; as text past 2^53, where a number would round (inode numbers of 64 bits). */
function decimal(bytes: Buffer, start: number, end: number): number | string {
  if (end - start > 15) return bytes.toString('latin1', start, end);
  let value = 0;
  for (let i = start; i < end; i++) value = value * 10 + (bytes[i]! - 0x30);
  return value;
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
