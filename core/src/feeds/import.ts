/**
 * `sugar-server feeds import DIR`: feeds carried on a disk, applied with the
 * same checks as over the network (signature, keys, version, expiry, digests).
 *
 * Two phases: every feed on the disk that this server mirrors is first staged
 * (read and checked completely); only when all of them hold is any applied. A
 * missing or corrupt file anywhere leaves every feed as it was.
 */
import { readdir, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { isSugarError } from '../errors.js';
import type { Logger } from '../log.js';
import { FeedErrors } from './errors.js';
import { isFeedName, MANIFEST_FILE } from './manifest.js';
import type { MirroredFeed, StagedChange, StagedFeed } from './mirror.js';

/** The folder an export writes, inside the DIR given (a disk's mount point). */
export const EXPORT_FOLDER = 'sugar-server-feeds';

export type ImportOutcome = 'applied' | 'unchanged' | 'refused' | 'held back' | 'not mirrored here';

export interface ImportedFeed extends Partial<StagedChange> {
  readonly name: string;
  readonly outcome: ImportOutcome;
  readonly error?: { readonly code: string | null; readonly message: string };
}

export interface ImportReport {
  readonly dir: string;
  /** True when every mirrored feed on the disk was applied or already current. */
  readonly ok: boolean;
  readonly feeds: readonly ImportedFeed[];
}

/** The mirrors running now, by feed name; plugins add theirs while they run. */
export class MirrorRegistry {
  private readonly mirrors = new Map<MirroredFeed, () => void>();
  private readonly appliedListeners = new Set<(mirror: MirroredFeed) => void>();
  /** Revisions of mirrors removed, plus one for every addition and removal: keeps `revision()` growing. */
  private retired = 0;

  add(mirror: MirroredFeed): void {
    if (this.mirrors.has(mirror)) return;
    this.retired++;
    this.mirrors.set(mirror, mirror.onApplied((m) => {
      for (const listener of this.appliedListeners) listener(m);
    }));
  }

  remove(mirror: MirroredFeed): void {
    if (this.mirrors.has(mirror)) this.retired += mirror.revision + 1;
    this.mirrors.get(mirror)?.();
    this.mirrors.delete(mirror);
  }

  /** Call `listener` whenever any mirror registered here holds a new version. Returns the way to stop. */
  onApplied(listener: (mirror: MirroredFeed) => void): () => void {
    this.appliedListeners.add(listener);
    return () => this.appliedListeners.delete(listener);
  }

  named(name: string): MirroredFeed[] {
    return [...this.mirrors.keys()].filter((m) => m.name === name);
  }

  all(): MirroredFeed[] {
    return [...this.mirrors.keys()];
  }

  /** Grows whenever a mirror's state changes or the set of mirrors does (the status board's cache key). */
  revision(): number {
    let sum = this.retired;
    for (const mirror of this.mirrors.keys()) sum += mirror.revision;
    return sum;
  }
}

/** `DIR/sugar-server-feeds` when present, else DIR itself when it holds feed folders. */
export async function findExportRoot(dir: string): Promise<string> {
  if (!isAbsolute(dir)) throw FeedErrors.IMPORT(dir, 'the folder must be an absolute path');
  const nested = join(dir, EXPORT_FOLDER);
  if (await isFolder(nested)) return nested;
  if (await isFolder(dir)) return dir;
  throw FeedErrors.IMPORT(dir, 'no such folder');
}

export async function importFeeds(dir: string, registry: MirrorRegistry, log: Logger): Promise<ImportReport> {
  const root = await findExportRoot(dir);
  const names: string[] = [];
  for (const entry of await readdir(root, { withFileTypes: true })) {
    if (entry.isDirectory() && isFeedName(entry.name) && (await isFile(join(root, entry.name, MANIFEST_FILE)))) names.push(entry.name);
  }
  if (!names.length) throw FeedErrors.IMPORT(root, `no feed folders (each with a ${MANIFEST_FILE}) in it`);
  names.sort();

  const report = new Map<string, ImportedFeed>();
  const staged: { mirror: MirroredFeed; feed: StagedFeed }[] = [];
  let refused = false;
  for (const name of names) {
    const mirrors = registry.named(name);
    if (!mirrors.length) {
      report.set(name, { name, outcome: 'not mirrored here' });
      continue;
    }
    for (const mirror of mirrors) {
      try {
        const result = await mirror.stage(mirror.folderSource(root));
        if (result === 'unchanged') {
          mirror.recordOutcome(null, false);
          report.set(name, { name, outcome: 'unchanged' });
        }
        else staged.push({ mirror, feed: result });
      } catch (err) {
        refused = true;
        mirror.recordOutcome(err, false);
        report.set(name, { name, outcome: 'refused', error: describe(err) });
      }
    }
  }

  if (refused) {
    for (const { feed } of staged) {
      await feed.discard();
      report.set(feed.change.name, { ...feed.change, outcome: 'held back' });
    }
    log.error({ dir: root, feeds: [...report.values()] }, 'feeds on the disk refused; nothing applied');
    return { dir: root, ok: false, feeds: names.map((n) => report.get(n)!) };
  }

  for (const { mirror, feed } of staged) {
    try {
      await feed.commit();
      mirror.recordOutcome(null, true);
      report.set(feed.change.name, { ...feed.change, outcome: 'applied' });
    } catch (err) {
      // Only the plugin's own apply can fail here; the feeds applied before it stay applied.
      mirror.recordOutcome(err, false);
      report.set(feed.change.name, { ...feed.change, outcome: 'refused', error: describe(err) });
    }
  }
  const feeds = names.map((n) => report.get(n)!);
  const ok = feeds.every((f) => f.outcome !== 'refused');
  log.info({ dir: root, feeds }, ok ? 'feeds imported from a disk' : 'feeds imported from a disk, some refused by their plugin');
  return { dir: root, ok, feeds };
}

function describe(err: unknown): { code: string | null; message: string } {
  return { code: isSugarError(err) ? err.code : null, message: (err as Error).message };
}

async function isFolder(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isDirectory(), () => false);
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isFile(), () => false);
}
