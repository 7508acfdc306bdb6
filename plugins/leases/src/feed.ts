/**
 * Leases as a feed. Every server publishes everything it holds as one canonical
 * JSON `leases.sig` and every serial it considers stolen as `stolen.txt`, so any
 * sugar-server can be the Mothership for others, and a chain of them (Mothership,
 * district, school) passes both along. With `[leases] upstream` set, it mirrors
 * the upstream's feed: the bundle is imported like an upload (serials it carries
 * replace what was held for them) and `stolen.txt` becomes the upstream's stolen
 * list.
 */
import { readFile } from 'node:fs/promises';
import type { FeedSnapshot, Logger, PluginContext } from 'sugar-server';
import { BUNDLE_FILE } from './activation-folder.js';
import type { LeasesService } from './leases-service.js';
import type { LeaseStore } from './lease-store.js';
import { formatStolenList, parseStolenList, STOLEN_FILE } from './stolen-list.js';

/** Served at `/feeds/v1/leases/`. */
export const FEED_NAME = 'leases';

/** Serve `/feeds/v1/leases/`: the whole store as `leases.sig`, the stolen serials of both lists as `stolen.txt`. */
export function publishLeases(ctx: Pick<PluginContext, 'publishFeed'>, store: LeaseStore): void {
  ctx.publishFeed({
    name: FEED_NAME,
    files: () => [
      { path: BUNDLE_FILE, data: store.bundle() },
      // Always listed, even empty: an empty list is how the upstream says that nothing is stolen any more.
      { path: STOLEN_FILE, data: Buffer.from(formatStolenList(store.stolenSerials())) },
    ],
  });
}

/** What applying an upstream feed needs. */
export interface MirrorDeps {
  readonly service: LeasesService;
  readonly store: LeaseStore;
  readonly log: Logger;
}

/** Apply each new upstream version. A version with a bad bundle or stolen list throws, so the feed keeps its last good copy. */
export function mirrorUpstream(ctx: Pick<PluginContext, 'mirrorFeed'>, url: string, intervalMs: number, deps: MirrorDeps): void {
  ctx.mirrorFeed({
    name: FEED_NAME,
    url,
    intervalMs,
    apply: (snapshot) => applySnapshot(snapshot, deps),
  });
}

/** The mirror's `apply`: one snapshot of the upstream's feed, its stolen list checked before anything is changed. */
export async function applySnapshot(snapshot: FeedSnapshot, { service, store, log }: MirrorDeps): Promise<void> {
  const { generated, files } = snapshot.manifest;
  // Read first: a stolen list that is refused must leave the leases untouched too.
  // A publisher older than stolen.txt sends none, and the upstream list stays as it was.
  const stolen = files.some((f) => f.path === STOLEN_FILE)
    ? parseStolenList(await readFile(snapshot.file(STOLEN_FILE)), STOLEN_FILE)
    : null;

  // The last good snapshot is offered again at every start, and its bundle is already in the store.
  if (store.feedGenerated !== generated) {
    const report = await service.import(await readFile(snapshot.file(BUNDLE_FILE)), 'feed');
    for (const problem of report.refused) {
      log.warn({ serial: problem.serial, code: problem.code, reason: problem.reason }, 'lease from the Mothership refused');
    }
    log.info({ generated, serials: report.serials, leases: report.leases, refused: report.refused.length }, 'leases feed applied');
  }

  // Replacing the list with itself changes nothing, so it is applied every time: a store
  // written before stolen.txt existed picks up the list of the snapshot it already holds.
  if (stolen) {
    const change = await service.replaceUpstreamStolen(stolen);
    if (change.added.length || change.removed.length) {
      log.info({ generated, stolen: stolen.size, added: change.added.length, removed: change.removed.length }, 'upstream stolen list applied');
      log.debug({ added: change.added, removed: change.removed }, 'upstream stolen list changes');
    }
  }

  if (store.feedGenerated !== generated) await store.setFeedGenerated(generated);
}
