import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Regular files under `dir`, relative to it, sorted. */
export async function filesUnder(dir: string, relative = ''): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(join(dir, relative), { withFileTypes: true })) {
    const path = relative ? join(relative, entry.name) : entry.name;
    if (entry.isDirectory()) found.push(...(await filesUnder(dir, path)));
    else if (entry.isFile()) found.push(path);
  }
  return found.sort();
}
