/**
 * The routes laptops use, at the paths they expect: the activity page
 * (`/activities/`), icons, bundle downloads, and the ASLO update check
 * (`/services/update-aslo.php`).
 */
import { createHash } from 'node:crypto';
import type { Context } from 'koa';
import type { PluginContext } from 'sugar-server';
import { PAGE_POLICY } from './activity-page.js';
import { isUsableHost, renderUpdateRdf } from './aslo.js';
import { serveBundle } from './bundle-download.js';
import type { BundleRecord } from './bundle-record.js';
import { isNotModified } from './conditional-get.js';
import { ActivitiesErrors, quote } from './errors.js';
import type { Library } from './library.js';
import { PageCache } from './page-cache.js';

/** SVG may hold scripts: opened on its own, an icon gets no script, no fetch, no form, a sandbox. */
const ICON_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

/** What the routes show besides the library. */
export interface LaptopRouteOptions {
  readonly groupName: string;
  readonly groupDescription: string;
}

/** Add the laptop-facing routes to the plugin's router. */
export function mountLaptopRoutes(router: PluginContext['router'], library: Library, options: LaptopRouteOptions): void {
  const pages = new PageCache({ name: options.groupName, description: options.groupDescription });
  const iconTags = new WeakMap<BundleRecord, string>();

  const servePage = (c: Context, base: string) => {
    const page = pages.get(library.index(), c.get('Accept-Language'), base);
    c.set('Content-Security-Policy', PAGE_POLICY);
    c.set('X-Content-Type-Options', 'nosniff');
    c.set('Vary', 'Accept-Language');
    c.set('Cache-Control', 'no-cache');
    c.set('ETag', page.etag);
    if (isNotModified({ ifNoneMatch: c.get('If-None-Match'), ifModifiedSince: '' }, { etag: page.etag, lastModified: '' })) {
      c.status = 304;
      return;
    }
    c.type = 'text/html; charset=utf-8';
    c.status = 200;
    // Each buffer goes out as one HTTP chunk (see page-chunks.ts). They are in memory already, so they are
    // handed to the socket at once rather than piped through a stream, which costs a turn of the loop each.
    c.respond = false;
    if (c.method !== 'HEAD') for (const chunk of page.chunks) c.res.write(chunk);
    c.res.end();
  };

  // The router is not strict about a trailing slash, so this is `/activities` and `/activities/`.
  // Without the slash, links relative to the page would resolve one level up: they get the folder prefixed.
  router.get('/activities', (c) => servePage(c, c.path === '/activities' ? 'activities/' : ''));
  router.get('/activities/index.html', (c) => servePage(c, ''));

  router.get('/activities/icons/:file', (c) => {
    const file = String(c.params.file);
    const record = file.endsWith('.svg') ? library.index().newest(file.slice(0, -'.svg'.length)) : undefined;
    if (!record || record.iconSvg === null) throw ActivitiesErrors.NOT_FOUND(`icon ${quote(file)}`);
    let etag = iconTags.get(record);
    if (!etag) {
      etag = `"${createHash('sha256').update(record.iconSvg).digest('hex').slice(0, 32)}"`;
      iconTags.set(record, etag);
    }
    c.set('Content-Security-Policy', ICON_POLICY);
    c.set('X-Content-Type-Options', 'nosniff');
    c.set('Cache-Control', 'no-cache');
    c.set('ETag', etag);
    if (isNotModified({ ifNoneMatch: c.get('If-None-Match'), ifModifiedSince: '' }, { etag, lastModified: '' })) {
      c.status = 304;
      return;
    }
    c.set('Content-Type', 'image/svg+xml');
    c.body = Buffer.from(record.iconSvg);
  });

  router.get('/activities/bundles/:file', (c) => serveBundle(c, library, String(c.params.file)));

  router.get('/services/update-aslo.php', (c) => {
    const id = typeof c.query.id === 'string' ? c.query.id : '';
    const record = id ? library.index().newest(id) : undefined;
    if (record && !isUsableHost(c.host)) throw ActivitiesErrors.BAD_HOST(c.host);
    const offer = record && {
      id: record.id,
      version: record.version,
      url: `${c.protocol}://${c.host}/activities/bundles/${record.file}`,
      size: record.size,
      sha256: record.sha256,
    };
    c.set('Cache-Control', 'no-cache');
    c.type = 'text/xml; charset=utf-8';
    c.body = renderUpdateRdf(offer);
  });
}
