/**
 * The admin credential: a bearer token made on first start in
 * `/etc/sugar-server/admin.token` (mode 0600, readable by root and the daemon),
 * and the core's own admin routes.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, open, readFile } from 'node:fs/promises';
import { Router } from '@koa/router';
import type { Context, Middleware, Next } from 'koa';
import { ServerErrors } from './errors.js';
import type { RecentLog } from './log.js';

export async function ensureAdminToken(file: string): Promise<string> {
  try {
    const handle = await open(file, 'wx', 0o600);
    const token = randomBytes(32).toString('base64url');
    await handle.writeFile(`${token}\n`);
    await handle.sync();
    await handle.close();
    return token;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  await chmod(file, 0o600);
  return readAdminToken(file);
}

export async function readAdminToken(file: string): Promise<string> {
  const token = (await readFile(file, 'utf8')).trim();
  if (token.length < 16) throw ServerErrors.BAD_REQUEST(`${file} holds no usable admin token (at least 16 characters)`);
  return token;
}

/** Whether the request carries `Authorization: Bearer <token>` (compared in constant time). */
export function hasAdminToken(ctx: Context, token: string): boolean {
  const header = ctx.get('Authorization');
  if (!header.startsWith('Bearer ')) return false;
  return isAdminToken(header.slice(7), token);
}

/** Whether `given` is the admin token (compared in constant time); the console's sign-in takes it as a password. */
export function isAdminToken(given: string, token: string): boolean {
  const a = Buffer.from(given.trim());
  const b = Buffer.from(token);
  return a.length === b.length && a.length > 0 && timingSafeEqual(a, b);
}

/** Lets a request through only with `Authorization: Bearer <token>`; `current` is read per request so a reload can change it. */
export function adminGuard(current: () => string): Middleware {
  return (ctx: Context, next: Next) => {
    if (!hasAdminToken(ctx, current())) throw ServerErrors.UNAUTHORIZED();
    return next();
  };
}

/**
 * The core's own admin API under `/core/v1/` (`core` is a reserved service
 * name, so no plugin can take the prefix): the daemon's recent log lines.
 */
export function coreAdminRouter(requireAdmin: Middleware, recent: RecentLog): Router {
  const router = new Router({ prefix: '/core/v1' });
  router.get('/logs', requireAdmin, (ctx) => {
    ctx.set('Content-Type', 'application/x-ndjson; charset=utf-8');
    ctx.set('Cache-Control', 'no-store');
    ctx.body = recent.text();
  });
  return router;
}
