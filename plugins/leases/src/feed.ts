/**
 * Leases as a feed. Every server publishes everything it holds as one canonical
 * JSON `leases.sig`, so any sugar-server can be the Mothership for others; with
 * `[leases] upstream` set, it also mirrors the Mothership's bundle as-is and
 * imports it like an upload (serials it carries replace what was held for them).
 */
import { readFile } from 'node:fs/promises';
import type { FeedSnapshot, Logger, PluginContext } from 'sugar-server';
import { BUNDLE_FILE } from './activation-folder.js';
import type { LeasesService } from './leases-service.js';
import type { LeaseStore } from './lease-store.js';

/** Served at `/feeds/v1/leases/`. */
export const FEED_NAME = 'leases';

/** Serve `/feeds/v1/leases/` with the whole store as `leases.sig`. */
export function publishLeases(ctx: Pick<PluginContext, 'publishFeed'>, store: LeaseStore): void {
  ctx.publishFeed({ name: FEED_NAME, files: () => [{ path: BUNDLE_FILE, data: store.bundle() }] });
}

/** What applying a Mothership bundle needs. */
export interface MirrorDeps {
  readonly service: LeasesService;
  readonly store: LeaseStore;
  readonly log: Logger;
}

/** Import each new Mothership bundle. A bundle that is not one throws, so the feed keeps its last good copy. */
export function mirrorUpstream(ctx: Pick<PluginContext, 'mirrorFeed'>, url: string, intervalMs: number, deps: MirrorDeps): void {
  ctx.mirrorFeed({
    name: FEED_NAME,
    url,
    intervalMs,
    apply: (snapshot) => applySnapshot(snapshot, deps),
  });
}

async function applySnapshot(snapshot: FeedSnapshot, { service, store, log }: MirrorDeps): Promise<void> {
  const { generated } = snapshot.manifest;
  // The last good snapshot is offered again at every start; the store already holds it.
  if (store.feedGenerated === generated) return;
  const report = await service.import(await readFile(snapshot.file(BUNDLE_FILE)), 'feed');
  for (const problem of report.refused) {
    log.warn({ serial: problem.serial, code: problem.code, reason: problem.reason }, 'lease from the Mothership refused');
  }
  log.info({ generated, serials: report.serials, leases: report.leases, refused: report.refused.length }, 'leases feed applied');
  await store.setFeedGenerated(generated);
}
