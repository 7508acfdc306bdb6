/**
 * Maintenance mode: while the server is being upgraded or repaired, every HTTP
 * surface a laptop or a school uses answers 503 with `Retry-After`, so clients
 * back off as their protocols say instead of failing (ds-backup reads a 503
 * from the availability check as "busy"). Requests carrying the admin token,
 * `/status` and `/metrics` still answer. TCP listeners are not touched:
 * activation on port 191 keeps answering, because a laptop denied its lease
 * stops booting. The switch is kept on disk, so it survives a restart.
 */
import { readFile } from 'node:fs/promises';
import { Router } from '@koa/router';
import type { Context, Middleware } from 'koa';
import { ServerErrors, SugarError } from './errors.js';
import { readJson } from './http/body.js';
import type { Logger } from './log.js';
import { writeFileAtomically } from './storage/durable.js';

export interface MaintenanceState {
  readonly on: boolean;
  /** When it was switched on (ISO 8601), null when off. */
  readonly since: string | null;
  readonly reason: string | null;
  /** What `Retry-After` says, in seconds. */
  readonly retryAfterSeconds: number;
}

export const DEFAULT_RETRY_AFTER_SECONDS = 600;
const MAX_RETRY_AFTER_SECONDS = 7 * 86_400;
const MAX_REASON = 200;
const OFF: MaintenanceState = { on: false, since: null, reason: null, retryAfterSeconds: DEFAULT_RETRY_AFTER_SECONDS };

/** Paths that answer in maintenance to anyone: how the server is, for its operators and their monitoring. */
const ALWAYS_OPEN = new Set(['/status', '/metrics']);

export class Maintenance {
  private current: MaintenanceState;

  private constructor(
    private readonly file: string,
    state: MaintenanceState,
  ) {
    this.current = state;
  }

  /** The switch as kept in `file` (off when there is none). */
  static async load(file: string): Promise<Maintenance> {
    let state = OFF;
    try {
      state = checkState(JSON.parse(await readFile(file, 'utf8')));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw ServerErrors.BAD_REQUEST(`${file} is not a maintenance record: ${(err as Error).message}`);
    }
    return new Maintenance(file, state);
  }

  get on(): boolean {
    return this.current.on;
  }

  state(): MaintenanceState {
    return this.current;
  }

  /** Switch on or off; on disk before it takes effect. */
  async set(change: { on: boolean; reason?: string | null; retryAfterSeconds?: number }, now = Date.now()): Promise<MaintenanceState> {
    const next = change.on
      ? checkState({
          on: true,
          since: this.current.on ? this.current.since : new Date(now).toISOString(),
          reason: change.reason ?? null,
          retryAfterSeconds: change.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS,
        })
      : OFF;
    await writeFileAtomically(this.file, [JSON.stringify(next)], 0o644);
    this.current = next;
    return next;
  }

  /**
   * Throws the 503 for a request maintenance holds back: anything but the
   * always-open paths, unless it carries the admin token.
   */
  check(ctx: Context, isAdmin: (ctx: Context) => boolean): void {
    if (!this.current.on || ALWAYS_OPEN.has(ctx.path) || isAdmin(ctx)) return;
    const { reason, retryAfterSeconds } = this.current;
    ctx.set('Retry-After', String(retryAfterSeconds));
    const { code, message, status } = ServerErrors.MAINTENANCE(reason, retryAfterSeconds);
    // A 5xx hides its message by default; this one tells the client what to do.
    throw new SugarError(code, message, { status, expose: true });
  }
}

/** A state from disk or from the admin API; every field checked. */
export function checkState(value: unknown): MaintenanceState {
  const { on, since, reason, retryAfterSeconds } = (value ?? {}) as Record<string, unknown>;
  if (typeof on !== 'boolean') throw ServerErrors.BAD_REQUEST('"on" must be true or false');
  if (!on) return OFF;
  if (typeof since !== 'string' || Number.isNaN(Date.parse(since))) throw ServerErrors.BAD_REQUEST('"since" must be an ISO date');
  if (reason !== null && (typeof reason !== 'string' || reason.length > MAX_REASON || /[\u0000-\u001f]/.test(reason))) {
    throw ServerErrors.BAD_REQUEST(`"reason" must be one line of at most ${MAX_REASON} characters`);
  }
  if (typeof retryAfterSeconds !== 'number' || !Number.isSafeInteger(retryAfterSeconds) || retryAfterSeconds < 1 || retryAfterSeconds > MAX_RETRY_AFTER_SECONDS) {
    throw ServerErrors.BAD_REQUEST(`"retryAfterSeconds" must be a whole number of seconds from 1 to ${MAX_RETRY_AFTER_SECONDS}`);
  }
  return { on, since, reason: (reason as string | null) ?? null, retryAfterSeconds };
}

/** `GET|PUT /core/v1/maintenance` (admin): the switch, as `sugar-server maintenance` sets it. */
export function maintenanceRouter(requireAdmin: Middleware, maintenance: Maintenance, log: Logger): Router {
  const router = new Router({ prefix: '/core/v1/maintenance' });
  router.get('/', requireAdmin, (ctx) => {
    ctx.body = maintenance.state();
  });
  router.put('/', requireAdmin, async (ctx) => {
    const body = (await readJson(ctx)) as Record<string, unknown> | null;
    if (typeof body !== 'object' || body === null || typeof body.on !== 'boolean') throw ServerErrors.BAD_REQUEST('expected {"on": true|false, "reason"?, "retryAfterSeconds"?}');
    const state = await maintenance.set({
      on: body.on,
      reason: (body.reason ?? null) as string | null,
      retryAfterSeconds: (body.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS) as number,
    });
    log.warn({ maintenance: state }, state.on ? 'maintenance mode on: laptop-facing HTTP answers 503 with Retry-After' : 'maintenance mode off');
    ctx.body = state;
  });
  return router;
}
