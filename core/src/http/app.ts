/**
 * The koa app every HTTP port uses: request ids, JSON errors, metrics. One
 * middleware does all three, because each layer costs on every request.
 */
import { randomBytes } from 'node:crypto';
import Koa, { type Context, type Next } from 'koa';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { ServerErrors } from '../errors.js';
import { respondWithError, toSugarError } from './errors.js';

export interface AppOptions {
  readonly log: Logger;
  readonly metrics: Metrics;
  /** Metrics label for requests no plugin router claimed. */
  readonly owner: string;
  /** Default request body limit in bytes (see readBody). */
  readonly bodyLimit: number;
  /** Asked before any handler; throws to hold a request back (maintenance mode). */
  readonly gate?: (ctx: Context) => void;
  /**
   * Served only to the core, over a private socket (an isolated plugin's
   * process): the request id and the client's address come from the core's
   * `X-Request-Id` and `X-Forwarded-For`, so logs and `ctx.ip` name the laptop.
   */
  readonly behindCore?: boolean;
}

const bodyLimits = new WeakMap<Koa, number>();

export function defaultBodyLimit(ctx: Context): number {
  return bodyLimits.get(ctx.app) ?? 1024 * 1024;
}

/** Request ids: a per-boot prefix and a counter, unique in a day's logs and free to make. */
const bootId = randomBytes(3).toString('hex');
let counter = 0;

/**
 * A 503 the server chose to answer (a plugin starting, lists not compiled
 * yet) tells the client to come back, as the protocols expect; logging it as
 * a failure would fill an admin's log with errors on every reload.
 */
function isComeBackLater(error: { status: number; expose: boolean }): boolean {
  return error.status === 503 && error.expose;
}

export function createApp(options: AppOptions): Koa {
  const behindCore = options.behindCore === true;
  const app = new Koa({ proxy: behindCore });
  bodyLimits.set(app, options.bodyLimit);
  const { log, metrics, owner, gate } = options;

  app.use(async (ctx: Context, next: Next) => {
    const started = performance.now();
    const requestId = (behindCore && ctx.get('X-Request-Id')) || `${bootId}-${(++counter).toString(36)}`;
    ctx.state.requestId = requestId;
    ctx.set('X-Request-Id', requestId);
    try {
      gate?.(ctx);
      await next();
      if (ctx.status === 404 && ctx.body == null) respondWithError(ctx, ServerErrors.NOT_FOUND(ctx.path), requestId);
    } catch (err) {
      const error = toSugarError(err);
      if (error.status >= 500 && !isComeBackLater(error)) log.error({ err, requestId, method: ctx.method, url: ctx.url, plugin: ctx.state.plugin }, 'request failed');
      else if (error.status >= 500) log.info({ requestId, code: error.code, method: ctx.method, url: ctx.url, plugin: ctx.state.plugin }, error.message);
      else log.debug({ requestId, code: error.code, method: ctx.method, url: ctx.url }, error.message);
      respondWithError(ctx, error, requestId);
    } finally {
      metrics.observeRequest(ctx.state.plugin ?? owner, ctx.method, ctx.status, (performance.now() - started) / 1000);
    }
  });

  // Errors after the response started (a client hanging up mid-stream) land here.
  app.on('error', (err: Error & { code?: string }) => {
    if (err.code === 'EPIPE' || err.code === 'ECONNRESET' || err.code === 'ERR_STREAM_PREMATURE_CLOSE') return;
    log.warn({ err }, 'HTTP stream error');
  });
  return app;
}
