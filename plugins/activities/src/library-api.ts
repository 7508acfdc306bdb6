/**
 * The JSON API under `/activities/v1/`: the library's bundles (paged, by id),
 * the files it refused, and for the admin: upload and delete.
 */
import { rm } from 'node:fs/promises';
import type { PluginContext } from 'sugar-server';
import type { BundleLimits } from './bundle-checks.js';
import { inspectBundle } from './bundle-inspector.js';
import { bundleJson, type BundleRecord } from './bundle-record.js';
import { ActivitiesErrors } from './errors.js';
import type { LibraryIndex } from './library-index.js';
import type { Library } from './library.js';
import { receiveUpload } from './upload.js';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;
const MAX_OFFSET = 1_000_000_000;

/** What the API needs besides the library. */
export interface LibraryApiOptions {
  readonly uploadLimit: number;
  readonly limits: BundleLimits;
}

/** Add the `/activities/v1/` routes to the plugin's router. */
export function mountLibraryApi(ctx: Pick<PluginContext, 'router' | 'requireAdmin' | 'log'>, library: Library, options: LibraryApiOptions): void {
  const { router, requireAdmin, log } = ctx;
  const json = (index: LibraryIndex, record: BundleRecord) => bundleJson(record, index.newest(record.id) === record);

  router.get('/activities/v1/bundles', (c) => {
    const offset = pageNumber(c.query.offset, 'offset', 0, MAX_OFFSET);
    const limit = pageNumber(c.query.limit, 'limit', DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
    const index = library.index();
    const id = typeof c.query.id === 'string' ? c.query.id : undefined;
    const all = id === undefined ? index.bundles : index.versionsOf(id);
    c.body = { total: all.length, offset, limit, bundles: all.slice(offset, offset + limit).map((record) => json(index, record)) };
  });

  router.get('/activities/v1/bundles/:id', (c) => {
    const index = library.index();
    const id = String(c.params.id);
    const versions = index.versionsOf(id);
    if (!versions.length) throw ActivitiesErrors.NOT_FOUND(`bundle id ${JSON.stringify(id)}`);
    c.body = { id, versions: versions.map((record) => json(index, record)) };
  });

  router.get('/activities/v1/problems', (c) => {
    const { problems } = library.index();
    c.body = { count: problems.length, problems };
  });

  router.post('/activities/v1/bundles', requireAdmin, async (c) => {
    const replace = ['1', 'true', 'yes'].includes(String(c.query.replace ?? ''));
    const temp = library.tempPath();
    try {
      await receiveUpload(c, temp, options.uploadLimit);
      const result = await library.add(temp, await inspectBundle(temp, options.limits), replace);
      log.info({ file: result.bundle.file, id: result.bundle.id, version: result.bundle.version, replaced: result.replaced }, 'bundle uploaded');
      c.status = result.replaced.length ? 200 : 201;
      c.body = { bundle: json(library.index(), result.bundle), replaced: result.replaced };
    } finally {
      await rm(temp, { force: true });
    }
  });

  router.delete('/activities/v1/bundles/:id/:version', requireAdmin, async (c) => {
    const removed = await library.remove(String(c.params.id), String(c.params.version));
    log.info({ id: c.params.id, version: c.params.version, files: removed.map((record) => record.file) }, 'bundle removed');
    c.body = { removed: removed.map((record) => record.file) };
  });
}

/** A paging parameter: absent means `fallback`; anything but one whole number in range is refused. */
function pageNumber(raw: string | string[] | undefined, name: 'offset' | 'limit', fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  const text = Array.isArray(raw) ? raw.join(',') : raw;
  const value = /^\d{1,10}$/.test(text) ? Number(text) : NaN;
  const min = name === 'limit' ? 1 : 0;
  if (!(value >= min && value <= max)) throw ActivitiesErrors.BAD_PAGE(name, text, String(max));
  return value;
}
