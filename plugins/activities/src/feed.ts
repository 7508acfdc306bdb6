/**
 * The library as a feed. Every server publishes its bundles at
 * `/feeds/v1/activities/` (`bundles/<file>.xo`), so any sugar-server can be the
 * Mothership of others. With `[activities] upstream` set, each new snapshot of
 * the Mothership's feed is placed in the library:
 *
 *  - the core's mirror hands over only complete snapshots whose every file
 *    matched its size and sha256;
 *  - every new or changed bundle is inspected as an upload is, and only when
 *    all pass are any placed (each by copy and rename), so a snapshot with one
 *    refused bundle changes nothing and the feed keeps its last good copy;
 *  - bundles the library already holds with the same digest are skipped;
 *    nothing is deleted locally when the Mothership drops a bundle.
 */
import { join } from 'node:path';
import { isSugarError, type FeedSnapshot, type Logger, type PluginContext, type Store } from 'sugar-server';
import type { BundleLimits } from './bundle-checks.js';
import { inspectBundle, type BundleContents } from './bundle-inspector.js';
import { ActivitiesErrors } from './errors.js';
import { isBundleFileName } from './file-names.js';
import type { ActivitiesDocument } from './library-document.js';
import type { Library } from './library.js';

/** Served at `/feeds/v1/activities/`. */
export const FEED_NAME = 'activities';
const BUNDLE_PATH = /^bundles\/([^/]+)$/;

/** Publish every bundle the library serves. */
export function publishLibrary(ctx: Pick<PluginContext, 'publishFeed'>, library: Library): void {
  ctx.publishFeed({
    name: FEED_NAME,
    files: () => library.index().bundles.map((record) => ({ path: `bundles/${record.file}`, file: join(library.dir, record.file) })),
  });
}

/** What placing a snapshot needs. */
export interface MirrorDeps {
  readonly library: Library;
  readonly store: Store<ActivitiesDocument>;
  readonly limits: BundleLimits;
  readonly log: Logger;
}

/** Mirror the Mothership's feed into the library. */
export function mirrorUpstream(ctx: Pick<PluginContext, 'mirrorFeed'>, url: string, intervalMs: number, deps: MirrorDeps): void {
  ctx.mirrorFeed({ name: FEED_NAME, url, intervalMs, apply: (snapshot) => applySnapshot(snapshot, deps) });
}

/** Check every new bundle of the snapshot, then place them all, or throw and place none. */
export async function applySnapshot(snapshot: FeedSnapshot, { library, store, limits, log }: MirrorDeps): Promise<void> {
  const { generated, files } = snapshot.manifest;
  // The last good snapshot is offered again at every start; it was placed then.
  if (store.data.upstreamGenerated === generated) return;
  const index = library.index();
  const checked: { source: string; name: string; contents: BundleContents }[] = [];
  const refused: string[] = [];
  for (const file of files) {
    const name = BUNDLE_PATH.exec(file.path)?.[1];
    if (name === undefined || index.byFile(name)?.sha256 === file.sha256) continue;
    if (!isBundleFileName(name)) {
      refused.push(ActivitiesErrors.BAD_FILE_NAME(name).message);
      continue;
    }
    try {
      checked.push({ source: snapshot.file(file.path), name, contents: await inspectBundle(snapshot.file(file.path), limits) });
    } catch (err) {
      if (!isSugarError(err)) throw err;
      refused.push(`${name}: ${err.code}: ${err.message}`);
      log.warn({ file: name, code: err.code, reason: err.message }, 'bundle from the Mothership refused');
    }
  }
  if (refused.length) throw ActivitiesErrors.UPSTREAM_REFUSED(`${refused.length} refused (${refused.join('; ')})`);
  const placed = await library.placeCopies(checked);
  await store.update((doc) => void (doc.upstreamGenerated = generated));
  log.info({ generated, placed: placed.map((record) => record.file) }, 'activities feed applied');
}
