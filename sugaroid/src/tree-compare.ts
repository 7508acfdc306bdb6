/**
 * Byte-for-byte comparison of two folder trees, for checking a restore: the
 * same names, the same kinds (file, folder, symlink), the same symlink text,
 * and every file the same length with the same bytes.
 */
import { open, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';

const CHUNK = 256 * 1024;

/** Differences, one line each (`missing x`, `extra y`, `content differs z`); empty when the trees are the same. */
export async function compareTrees(expected: string, actual: string, limit = 20): Promise<string[]> {
  const differences: string[] = [];
  const walk = async (relative: string): Promise<void> => {
    const [want, have] = await Promise.all([listing(join(expected, relative)), listing(join(actual, relative))]);
    for (const [name, kind] of want) {
      if (differences.length >= limit) return;
      const path = relative ? `${relative}/${name}` : name;
      const other = have.get(name);
      if (other === undefined) differences.push(`missing ${path}`);
      else if (other !== kind) differences.push(`${path} is a ${other}, expected a ${kind}`);
      else if (kind === 'folder') await walk(path);
      else if (kind === 'symlink') {
        if ((await readlink(join(expected, path))) !== (await readlink(join(actual, path)))) differences.push(`symlink ${path} points elsewhere`);
      } else if (!(await sameBytes(join(expected, path), join(actual, path)))) differences.push(`content differs ${path}`);
    }
    for (const name of have.keys()) {
      if (differences.length >= limit) return;
      if (!want.has(name)) differences.push(`extra ${relative ? `${relative}/${name}` : name}`);
    }
  };
  await walk('');
  return differences;
}

type Kind = 'file' | 'folder' | 'symlink' | 'other';

async function listing(dir: string): Promise<Map<string, Kind>> {
  const children = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return new Map(children.map((c) => [c.name, c.isFile() ? 'file' : c.isDirectory() ? 'folder' : c.isSymbolicLink() ? 'symlink' : 'other']));
}

async function sameBytes(a: string, b: string): Promise<boolean> {
  const [fa, fb] = await Promise.all([open(a), open(b)]);
  try {
    const [sa, sb] = await Promise.all([fa.stat(), fb.stat()]);
    if (sa.size !== sb.size) return false;
    const ba = Buffer.alloc(CHUNK);
    const bb = Buffer.alloc(CHUNK);
    for (let at = 0; at < sa.size; at += CHUNK) {
      const [ra, rb] = await Promise.all([fa.read(ba, 0, CHUNK, at), fb.read(bb, 0, CHUNK, at)]);
      if (ra.bytesRead !== rb.bytesRead || !ba.subarray(0, ra.bytesRead).equals(bb.subarray(0, rb.bytesRead))) return false;
    }
    return true;
  } finally {
    await Promise.all([fa.close(), fb.close()]);
  }
}
