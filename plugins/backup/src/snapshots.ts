/**
 * Dated snapshots of a laptop's `datastore-current`, made so that whatever
 * happens (disk full, the daemon killed half-way) the snapshots already there
 * stay whole and `datastore-latest` points to a complete one:
 *
 * - a snapshot is built under a hidden name and renamed to its dated name only
 *   when complete;
 * - `datastore-latest` is replaced by renaming a new symlink over it;
 * - a snapshot is pruned by renaming it away first, then deleting it;
 * - {@link recover} clears what a crash left and repairs `datastore-latest`.
 *
 * Two snapshots in the same minute share a name; the newer one replaces the
 * older (the old one is set aside first and put back if the swap is cut short).
 */
import { lstat, readdir, readlink, rename, rm, symlink, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { linkTree, type TreeCounts } from './hardlink-copy.js';
import { CURRENT, LATEST, snapshotName, snapshotTime } from './laptop-folder.js';

const BUILDING = '.building-';
const REPLACED = '.replaced-';
const PRUNED = '.pruned-';
const NEW_LATEST = '.datastore-latest.new';

/** A snapshot on disk. */
export interface SnapshotRef {
  readonly name: string;
  /** The minute in its name (ms since the epoch). */
  readonly time: number;
}

/** A snapshot just taken, with what it holds. */
export interface TakenSnapshot extends SnapshotRef {
  readonly counts: TreeCounts;
}

async function isDirectory(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => null))?.isDirectory() ?? false;
}

/** The snapshots in a laptop's folder, oldest first. */
export async function listSnapshots(dir: string): Promise<SnapshotRef[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const found: SnapshotRef[] = [];
  for (const name of names) {
    const time = snapshotTime(name);
    if (time !== null && (await isDirectory(join(dir, name)))) found.push({ name, time });
  }
  return found.sort((a, b) => a.time - b.time);
}

/** The snapshot `datastore-latest` points to, or null when it points to none. */
export async function latestSnapshot(dir: string): Promise<string | null> {
  const target = await readlink(join(dir, LATEST)).catch(() => null);
  if (target === null || snapshotTime(target) === null) return null;
  return (await isDirectory(join(dir, target))) ? target : null;
}

/** Point `datastore-latest` at `name` in one rename; null removes it. */
async function pointLatest(dir: string, name: string | null): Promise<void> {
  if (name === null) {
    await unlink(join(dir, LATEST)).catch(() => {});
    return;
  }
  const temp = join(dir, NEW_LATEST);
  await rm(temp, { force: true });
  // Relative, as the old server's absolute link could not survive moving the folder.
  await symlink(name, temp);
  await rename(temp, join(dir, LATEST));
}

/** Clear what an interrupted snapshot or prune left, and make `datastore-latest` point to a complete snapshot. */
export async function recover(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    if (name.startsWith(BUILDING) || name.startsWith(PRUNED) || name === NEW_LATEST) {
      await rm(join(dir, name), { recursive: true, force: true });
    }
  }
  for (const name of names) {
    if (!name.startsWith(REPLACED)) continue;
    const original = name.slice(REPLACED.length);
    if (snapshotTime(original) !== null && !(await isDirectory(join(dir, original)))) await rename(join(dir, name), join(dir, original));
    else await rm(join(dir, name), { recursive: true, force: true });
  }
  if ((await latestSnapshot(dir)) === null) {
    const snapshots = await listSnapshots(dir);
    await pointLatest(dir, snapshots.at(-1)?.name ?? null);
  }
}

/** Snapshot `datastore-current` as `datastore-YYYY-MM-DD_HH:MM` for `now`, and point `datastore-latest` at it. */
export async function takeSnapshot(dir: string, now: number): Promise<TakenSnapshot> {
  await recover(dir);
  const current = join(dir, CURRENT);
  if (!(await isDirectory(current))) throw new Error('nothing was uploaded to datastore-current');
  const name = snapshotName(now);
  const building = join(dir, BUILDING + name);
  let counts: TreeCounts;
  try {
    counts = await linkTree(current, building);
  } catch (err) {
    await rm(building, { recursive: true, force: true }).catch(() => {});
    throw err;
  }
  const final = join(dir, name);
  const replaced = join(dir, REPLACED + name);
  const replacing = await isDirectory(final);
  if (replacing) await rename(final, replaced);
  await rename(building, final);
  await pointLatest(dir, name);
  if (replacing) await rm(replaced, { recursive: true, force: true });
  return { name, time: snapshotTime(name)!, counts };
}

/** Remove one snapshot: renamed away first, so a cut-short delete never leaves half a snapshot under its name. */
export async function removeSnapshot(dir: string, name: string): Promise<void> {
  if (snapshotTime(name) === null) throw new Error(`not a snapshot name: ${name}`);
  const doomed = join(dir, PRUNED + name);
  await rename(join(dir, name), doomed);
  await rm(doomed, { recursive: true, force: true });
}
