/**
 * Finds plugin packages: in the `node_modules` folders of this install (npm puts
 * workspace and dependency packages there) and in extra plugin folders from config
 * (`/usr/lib/sugar-server/plugins` for distro packages). Reads package.json only.
 */
import { readdir, realpath } from 'node:fs/promises';
import { dirname, join, parse } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readManifest, type Candidate, type Rejected } from './manifest.js';

export interface Discovery {
  readonly candidates: readonly Candidate[];
  readonly rejected: readonly Rejected[];
}

/** Every `node_modules` folder above this core's package, nearest first. */
export function installNodeModules(from = fileURLToPath(import.meta.url)): string[] {
  const dirs: string[] = [];
  let dir = dirname(from);
  const { root } = parse(dir);
  while (dir !== root) {
    if (!dir.endsWith('/node_modules')) dirs.push(join(dir, 'node_modules'));
    dir = dirname(dir);
  }
  return dirs;
}

/**
 * Scan `folders`; each holds packages directly or under `@scope/`. The same
 * package reached twice (symlinks, nested folders) counts once.
 */
export async function discoverPlugins(folders: readonly string[]): Promise<Discovery> {
  const seen = new Set<string>();
  const candidates: Candidate[] = [];
  const rejected: Rejected[] = [];

  for (const folder of folders) {
    for (const dir of await packageDirs(folder)) {
      const real = await realpath(dir).catch(() => undefined);
      if (!real || seen.has(real)) continue;
      seen.add(real);
      const result = await readManifest(real);
      if (result.kind === 'plugin') candidates.push(result.candidate);
      else if (result.kind === 'rejected') rejected.push(result.rejected);
    }
  }
  return { candidates, rejected };
}

async function packageDirs(folder: string): Promise<string[]> {
  const names = await list(folder);
  const dirs: string[] = [];
  for (const name of names) {
    if (name.startsWith('.')) continue;
    if (name.startsWith('@')) {
      for (const scoped of await list(join(folder, name))) dirs.push(join(folder, name, scoped));
    } else {
      dirs.push(join(folder, name));
    }
  }
  return dirs;
}

async function list(folder: string): Promise<string[]> {
  try {
    return (await readdir(folder)).sort();
  } catch {
    return [];
  }
}
