/**
 * How many bytes a laptop's folder holds, each file counted once however many
 * snapshots link to it: what the quota is measured against. One `find` lists
 * inode and size of every regular file.
 */
import { runTool } from './system-tools.js';

/** Sum of the sizes of distinct regular files (by inode) under `dir`; 0 when it does not exist. */
export async function folderUsage(dir: string): Promise<number> {
  const listing = await runTool('find', [dir, '-type', 'f', '-printf', '%i %s\\n']).catch(() => null);
  if (listing === null) return 0;
  const seen = new Set<string>();
  let bytes = 0;
  for (const line of listing.toString('latin1').split('\n')) {
    const space = line.indexOf(' ');
    if (space < 0) continue;
    const inode = line.slice(0, space);
    if (seen.has(inode)) continue;
    seen.add(inode);
    bytes += Number(line.slice(space + 1));
  }
  return bytes;
}
