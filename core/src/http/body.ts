/** Reading request bodies with a size limit; the route names the limit it needs. */
import type { Context } from 'koa';
import getRawBody from 'raw-body';
import { ServerErrors } from '../errors.js';
import { defaultBodyLimit } from './app.js';

export interface BodyOptions {
  /** Bytes; defaults to `[http] body_limit`. */
  readonly limit?: number;
}

export async function readBody(ctx: Context, options: BodyOptions = {}): Promise<Buffer> {
  const limit = options.limit ?? defaultBodyLimit(ctx);
  const declared = Number(ctx.get('Content-Length'));
  if (declared > limit) throw ServerErrors.BODY_TOO_LARGE(limit);
  try {
    return await getRawBody(ctx.req, { limit, length: ctx.get('Content-Length') || undefined });
  } catch (err) {
    const type = (err as { type?: string }).type;
    if (type === 'entity.too.large') throw ServerErrors.BODY_TOO_LARGE(limit);
    throw ServerErrors.BAD_REQUEST(`request body could not be read (${(err as Error).message})`);
  }
}

/** A JSON body (`Content-Type: application/json`), parsed. */
export async function readJson<T = unknown>(ctx: Context, options: BodyOptions = {}): Promise<T> {
  if (!ctx.is('application/json')) throw ServerErrors.UNSUPPORTED_MEDIA('application/json');
  const body = await readBody(ctx, options);
  try {
    return JSON.parse(body.toString('utf8')) as T;
  } catch (err) {
    throw ServerErrors.BAD_REQUEST(`request body is not valid JSON: ${(err as Error).message}`);
  }
}
