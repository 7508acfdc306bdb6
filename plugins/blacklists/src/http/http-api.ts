/**
 * HTTP: the check for anyone (`/blacklists/v1/check`), the block page at
 * `/blocked` where the squid helper sends children, and the admin API
 * (upload, recompile, categories, DNS exports) under `/blacklists/v1/`.
 */
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Context } from 'koa';
import { ServerErrors, type PluginContext } from 'sugar-server';
import type { BlacklistIndex } from '../index/blacklist-index.js';
import type { BlacklistsService } from '../blacklists-service.js';
import { BLOCK_PAGE_CSP, renderBlockPage } from './block-page.js';
import { categoriesReport } from '../export/categories-report.js';
import { exportDns, exportFormat } from '../export/dns-export.js';
import { BlacklistsErrors } from '../errors.js';
import { pickLanguage } from './messages.js';
import { ALLOW_FILE, BLOCK_FILE } from '../paths.js';
import type { Candidate, SourceKeeper } from '../compile/source-keeper.js';

const MAX_CHECK_URL = 8192;
/** A first compile of UT1's lists takes a few seconds. */
const NO_INDEX_RETRY_SECONDS = 10;
const CATEGORY_PARAM = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

/** What the routes need. */
export interface HttpApiDeps {
  readonly router: PluginContext['router'];
  readonly requireAdmin: PluginContext['requireAdmin'];
  readonly service: BlacklistsService;
  readonly sources: SourceKeeper;
  readonly dataDir: string;
  readonly etcDir: string;
  readonly uploadLimit: number;
  /** Set when this server follows a Mothership: uploads are refused then. */
  readonly upstream: string | undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : Array.isArray(value) && typeof value[0] === 'string' ? value[0] : undefined;
}

/** Add the routes to the plugin's router. */
export function mountHttpApi(deps: HttpApiDeps): void {
  const { router, requireAdmin, service } = deps;

  router.get('/blacklists/v1/check', (c) => {
    const url = text(c.query.url);
    if (!url || url.length > MAX_CHECK_URL) throw BlacklistsErrors.BAD_URL((url ?? '').slice(0, 200));
    c.set('Cache-Control', 'no-store');
    requireIndex(c, service);
    c.body = service.check(url);
  });

  router.get('/blacklists/v1/status', (c) => {
    const index = service.index;
    c.body = {
      filtering: service.filtering,
      whenUnavailable: service.summary().whenUnavailable,
      index: index && {
        compiledAt: index.meta.compiledAt,
        compileMs: index.meta.compileMs,
        bytes: index.byteLength,
        domains: index.domainCount,
        urls: index.urlCount,
        expressions: index.meta.expressions.length,
        garbage: index.meta.garbage.total,
        source: index.meta.source,
      },
      compile: service.compileStatus(),
    };
  });

  router.get('/blocked', (c) => blockPage(c, service));

  router.get('/blacklists/v1/categories', requireAdmin, (c) => {
    const index = requireIndex(c, service);
    c.body = categoriesReport(index);
  });

  router.get('/blacklists/v1/garbage', requireAdmin, (c) => {
    const index = requireIndex(c, service);
    c.body = index.meta.garbage;
  });

  router.post('/blacklists/v1/recompile', requireAdmin, async (c) => {
    const run = service.recompile();
    await answerCompile(c, run, service);
  });

  router.post('/blacklists/v1/lists', requireAdmin, async (c) => {
    if (deps.upstream) throw BlacklistsErrors.FOLLOWS_UPSTREAM(deps.upstream);
    const incoming = await deps.sources.receivingFile();
    let candidate: Candidate;
    try {
      await saveBody(c, incoming.path, deps.uploadLimit);
      candidate = await deps.sources.uploaded(incoming.path);
    } finally {
      await rm(incoming.path, { force: true });
      incoming.release();
    }
    await answerCompile(c, service.compileCandidate(candidate), service);
  });

  router.delete('/blacklists/v1/lists', requireAdmin, async (c) => {
    if (!(await deps.sources.dropUpload())) throw ServerErrors.NOT_FOUND('an uploaded list');
    await answerCompile(c, service.recompile(), service);
  });

  router.get('/blacklists/v1/export', requireAdmin, (c) => {
    const index = requireIndex(c, service);
    const format = exportFormat(text(c.query.format) ?? '');
    const address = text(c.query.address);
    if (address !== undefined && !/^[0-9a-fA-F:.]{2,45}$/.test(address)) throw ServerErrors.BAD_REQUEST('address must be an IP address');
    c.type = 'text/plain; charset=utf-8';
    c.attachment(`blacklists.${format === 'rpz' ? 'rpz' : 'conf'}`);
    c.body = Readable.from(exportDns(index, { format, address, allowFile: join(deps.etcDir, ALLOW_FILE), blockFile: join(deps.etcDir, BLOCK_FILE) }));
  });
}

/** The index answering now; without one, BLACKLISTS_ERR_NO_INDEX with a Retry-After for when a compile may be done. */
function requireIndex(c: Context, service: BlacklistsService): BlacklistIndex {
  const index = service.index;
  if (index) return index;
  c.set('Retry-After', String(NO_INDEX_RETRY_SECONDS));
  throw BlacklistsErrors.NO_INDEX();
}

/**
 * Answer a compile request: 202 with the status at once, or with `?wait=1`
 * 200 with the status once it finished (the compile's error, if it failed).
 */
async function answerCompile(c: Context, run: Promise<unknown>, service: BlacklistsService): Promise<void> {
  if (text(c.query.wait) === '1') {
    await run;
    c.body = { compile: service.compileStatus(), index: service.index?.meta.compiledAt ?? null };
    return;
  }
  run.catch(() => {});
  c.status = 202;
  c.body = { compile: service.compileStatus() };
}

function blockPage(c: Context, service: BlacklistsService): void {
  const url = text(c.query.url)?.slice(0, MAX_CHECK_URL) ?? null;
  let category = text(c.query.category) ?? null;
  if (category !== null && !CATEGORY_PARAM.test(category)) category = null;
  // Reached without a category (a deny_info redirect): find it, if the index knows the URL.
  if (category === null && url) {
    try {
      category = service.check(url).category;
    } catch {
      category = null;
    }
  }
  // Sent here without an index to check against: filtering is not ready; the page says so.
  const unavailable = text(c.query.reason) === 'unavailable';
  c.status = unavailable ? 503 : 403;
  if (unavailable) c.set('Retry-After', String(NO_INDEX_RETRY_SECONDS));
  c.type = 'text/html; charset=utf-8';
  c.set('Cache-Control', 'no-store');
  c.set('Content-Security-Policy', BLOCK_PAGE_CSP);
  c.set('X-Content-Type-Options', 'nosniff');
  c.body = renderBlockPage({
    language: pickLanguage(text(c.query.lang), c.get('Accept-Language')),
    url,
    category,
    deny: text(c.query.action) === 'deny',
    unavailable,
  });
}

/** Stream the request body to `file` (which the caller removes), refusing more than `limit` bytes. */
async function saveBody(c: Context, file: string, limit: number): Promise<void> {
  const declared = Number(c.get('Content-Length'));
  if (declared > limit) throw ServerErrors.BODY_TOO_LARGE(limit);
  let received = 0;
  const limiter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      received += chunk.length;
      done(received > limit ? ServerErrors.BODY_TOO_LARGE(limit) : null, chunk);
    },
  });
  // `wx`: the file is this request's alone.
  await pipeline(c.req, limiter, createWriteStream(file, { flags: 'wx' }));
  if (received === 0) throw BlacklistsErrors.BAD_ARCHIVE('the body is empty');
}
