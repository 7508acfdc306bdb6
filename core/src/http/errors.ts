/** Turns any thrown value into the JSON error a client may see: `{error: {code, message}}`. */
import type { Context } from 'koa';
import { isSugarError, ServerErrors, SugarError, withCause } from '../errors.js';

/** Codes for errors that arrive with only an HTTP status (koa's ctx.throw, http-errors). */
export const CODES_BY_STATUS: Readonly<Record<number, string>> = {
  400: 'SERVER_ERR_BAD_REQUEST',
  401: 'SERVER_ERR_UNAUTHORIZED',
  403: 'SERVER_ERR_FORBIDDEN',
  404: 'SERVER_ERR_NOT_FOUND',
  405: 'SERVER_ERR_METHOD_NOT_ALLOWED',
  413: 'SERVER_ERR_BODY_TOO_LARGE',
  415: 'SERVER_ERR_UNSUPPORTED_MEDIA',
};

/** Normalise: our errors pass through; koa/http-errors keep their status; the rest are 500. */
export function toSugarError(err: unknown): SugarError {
  if (isSugarError(err)) return err;
  const { status, expose, message } = (err ?? {}) as { status?: unknown; expose?: unknown; message?: unknown };
  if (typeof status === 'number' && status >= 400 && status < 600) {
    const code = CODES_BY_STATUS[status] ?? (status >= 500 ? ServerErrors.INTERNAL.code : 'SERVER_ERR_HTTP');
    return new SugarError(code, typeof message === 'string' ? message : 'error', { status, expose: expose === true, cause: err });
  }
  return withCause(ServerErrors.INTERNAL(), err);
}

/** Write the error as the response; a 5xx never shows internals, only the request id to quote. */
export function respondWithError(ctx: Context, error: SugarError, requestId: string): void {
  ctx.status = error.status;
  ctx.set('Content-Type', 'application/json; charset=utf-8');
  const message = error.expose ? error.message : `internal error (request ${requestId})`;
  ctx.body = JSON.stringify({ error: { code: error.expose ? error.code : ServerErrors.INTERNAL.code, message } });
  if (error.status === 401) ctx.set('WWW-Authenticate', 'Bearer realm="sugar-server"');
}
