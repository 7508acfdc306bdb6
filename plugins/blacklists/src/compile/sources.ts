/**
 * A source folder in the squidGuard/UT1 layout: one folder per category
 * holding `domains`, `urls`, `expressions` and `usage`. UT1's archive puts
 * them under `blacklists/`; a folder holding only one sub-folder is looked
 * into. Links are followed only when they stay inside the source.
 */
import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { BlacklistsErrors } from '../errors.js';

/** The list files of one category (absolute paths), those that exist. */
export interface CategoryFiles {
  readonly name: string;
  readonly domains: string | null;
  readonly urls: string | null;
  readonly expressions: string | null;
  readonly usage: string | null;
}

/** Category folder names: what UT1 and squidGuard lists use. */
export const CATEGORY_NAME = /^[a-z0-9][a-z0-9_.-]{0,63}$/i;
const LIST_FILES = ['domains', 'urls', 'expressions', 'usage'] as const;
/** How deep to look for the folder holding the categories (`blacklists/` inside an archive). */
const MAX_WRAPPERS = 2;

/** The categories of a source folder, by lower-case name. */
export async function readCategories(root: string): Promise<Map<string, CategoryFiles>> {
  const realRoot = await realpath(root).catch(() => {
    throw BlacklistsErrors.BAD_SOURCE(root, 'no such folder');
  });
  if (!(await stat(realRoot)).isDirectory()) throw BlacklistsErrors.BAD_SOURCE(root, 'not a folder');
  return scan(realRoot, realRoot, 0);
}

async function scan(dir: string, realRoot: string, depth: number): Promise<Map<string, CategoryFiles>> {
  const categories = new Map<string, CategoryFiles>();
  const folders: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (!CATEGORY_NAME.test(entry.name)) continue;
    const path = await inside(join(dir, entry.name), realRoot);
    if (!path || !(await stat(path)).isDirectory()) continue;
    folders.push(path);
    const files = await categoryFiles(path, realRoot, entry.name.toLowerCase());
    if (files.domains || files.urls || files.expressions) categories.set(files.name, files);
  }
  if (categories.size === 0 && folders.length === 1 && depth < MAX_WRAPPERS) return scan(folders[0]!, realRoot, depth + 1);
  return categories;
}

async function categoryFiles(dir: string, realRoot: string, name: string): Promise<CategoryFiles> {
  const found: Record<string, string | null> = {};
  for (const file of LIST_FILES) {
    const path = await inside(join(dir, file), realRoot);
    found[file] = path && (await stat(path)).isFile() ? path : null;
  }
  return { name, domains: found.domains!, urls: found.urls!, expressions: found.expressions!, usage: found.usage! };
}

/** The real path of `path` when it exists and stays inside `realRoot` (links included), else null. */
async function inside(path: string, realRoot: string): Promise<string | null> {
  const info = await lstat(path).catch(() => null);
  if (!info) return null;
  const real = info.isSymbolicLink() ? await realpath(path).catch(() => null) : path;
  if (!real) return null;
  const rel = relative(realRoot, real);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !rel.startsWith(sep)) ? real : null;
}

/** The first line of a category's `usage` file, or null. */
export async function readUsage(files: CategoryFiles): Promise<string | null> {
  if (!files.usage) return null;
  const text = await readFile(files.usage, 'utf8').catch(() => '');
  const line = text.split('\n').map((l) => l.trim()).find((l) => l && !l.startsWith('#'));
  return line ? line.slice(0, 200) : null;
}
