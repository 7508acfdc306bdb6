/**
 * sugar-server-activities: the school's activity library. `.xo` bundles in a
 * folder (dropped in, uploaded by the admin, or mirrored from the Mothership)
 * are checked and indexed, and offered the ways Sugar looks for them
 * (PROTOCOLS.md section 4): the microformat page at `/activities/`, ASLO update
 * answers at `/services/update-aslo.php`, downloads with Range and ETag; plus a
 * JSON API under `/activities/v1/`.
 */
import { join } from 'node:path';
import { definePlugin } from 'sugar-server';
import { activitiesPage } from './admin-page.js';
import type { BundleLimits } from './bundle-checks.js';
import { addCommand } from './commands/add.js';
import { listCommand } from './commands/list.js';
import { removeCommand } from './commands/remove.js';
import { activitiesOptions, type ActivitiesConfig } from './config.js';
import { mirrorUpstream, publishLibrary } from './feed.js';
import { mountLaptopRoutes } from './laptop-routes.js';
import { mountLibraryApi } from './library-api.js';
import { ACTIVITIES_DOCUMENT, EMPTY_DOCUMENT, readDocument, type ActivitiesDocument } from './library-document.js';
import { Library } from './library.js';

export default definePlugin({
  config: activitiesOptions,

  async start(ctx) {
    const { config, log } = ctx;
    const limits: BundleLimits = {
      maxUnpackedSize: config.max_unpacked_size,
      maxEntrySize: config.max_entry_size,
      maxRatio: config.max_ratio,
      maxEntries: config.max_entries,
    };
    const store = await ctx.openStore<ActivitiesDocument>(structuredClone(EMPTY_DOCUMENT), ACTIVITIES_DOCUMENT);
    const document = readDocument(store.data);
    if (document.files !== store.data.files || document.upstreamGenerated !== store.data.upstreamGenerated) {
      await store.update((data) => Object.assign(data, document));
    }
    const library = await Library.open({ dir: config.library ?? join(ctx.dataDir, 'library'), limits, store, log, signal: ctx.signal });

    mountLaptopRoutes(ctx.router, library, { groupName: config.group_name, groupDescription: config.group_description });
    mountLibraryApi(ctx, library, { uploadLimit: config.upload_limit, limits });
    ctx.admin.page(activitiesPage(library, { uploadLimit: config.upload_limit, limits }));
    publishLibrary(ctx, library);
    if (config.upstream) mirrorUpstream(ctx, config.upstream, config.upstream_interval, { library, store, limits, log });
    ctx.reportStatus(() => {
      const index = library.index();
      return {
        bundles: index.bundles.length,
        activities: index.newestOfEach().length,
        problems: index.problems.length,
        // The first few, so an admin sees why without another request; all are at /activities/v1/problems.
        firstProblems: index.problems.slice(0, 10).map(({ file, code, reason }) => ({ file, code, reason })),
      };
    });
    library.start();
  },

  commands: {
    add: addCommand,
    list: listCommand,
    remove: removeCommand,
  },
});

export { ActivitiesErrors } from './errors.js';
export { ACTIVITIES_DOCUMENT } from './library-document.js';
export { compareVersions, parseVersion } from './sugar-version.js';
export type { SugarVersion } from './sugar-version.js';
export type { ActivitiesConfig };
export type { BundleJson } from './bundle-record.js';
export type { Problem } from './library-index.js';
