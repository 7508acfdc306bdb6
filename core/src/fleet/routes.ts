/**
 * The fleet's HTTP surface on the main server, under `/fleet/v1/`:
 *  - POST /fleet/v1/invites      (admin) a single-use enrolment token
 *  - POST /fleet/v1/enrol        a token traded for a school credential
 *  - POST /fleet/v1/checkin      a school's report (its credential)
 *  - GET  /fleet/v1/schools      (admin) every school, `?state=behind|silent|failing|current`
 *  - GET  /fleet/v1/schools/:id  (admin) one school's latest report and history
 *  - DELETE /fleet/v1/schools/:id (admin) forget a school; its credential stops working
 *  - GET  /fleet/v1/propagation  (admin) per feed: who holds the latest, lag, behind, silent
 */
import { Router } from '@koa/router';
import type { Context, Middleware } from 'koa';
import { ServerErrors } from '../errors.js';
import { readBody, readJson } from '../http/body.js';
import { parseSchoolCredential } from './credentials.js';
import { FleetErrors } from './errors.js';
import type { Mothership } from './mothership.js';
import { SCHOOL_STATES, type SchoolState } from './propagation.js';
import { isServerId, parseReport, REPORT_LIMIT } from './report.js';

export interface FleetRouteSettings {
  readonly silentAfterMs: number;
  readonly history: number;
  readonly inviteLifetimeMs: number;
}

const SMALL_BODY = 4096;
const GROUP = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export function fleetRouter(mothership: () => Promise<Mothership>, settings: () => FleetRouteSettings, requireAdmin: Middleware): Router {
  const router = new Router({ prefix: '/fleet/v1' });

  router.post('/invites', requireAdmin, async (ctx) => {
    const body = (await readJson(ctx, { limit: SMALL_BODY })) as { name?: unknown; group?: unknown };
    const name = typeof body.name === 'string' ? body.name.trim() : '';
    if (!name || name.length > 128 || /[\u0000-\u001f]/.test(name)) throw ServerErrors.BAD_REQUEST('"name" must be the school\'s name (1 to 128 characters)');
    const group = body.group === undefined || body.group === null ? null : body.group;
    if (group !== null && (typeof group !== 'string' || !GROUP.test(group))) throw ServerErrors.BAD_REQUEST('"group" must be letters, digits, - and _ (as in [feeds] group)');
    const invite = await (await mothership()).registry.invite(name, group, settings().inviteLifetimeMs);
    ctx.status = 201;
    ctx.body = invite;
  });

  router.post('/enrol', async (ctx) => {
    const body = (await readJson(ctx, { limit: SMALL_BODY })) as { token?: unknown; serverId?: unknown };
    if (typeof body.token !== 'string' || typeof body.serverId !== 'string' || !isServerId(body.serverId)) {
      throw ServerErrors.BAD_REQUEST('an enrolment needs "token" and "serverId" (8 to 64 letters, digits and -)');
    }
    const { secret, school } = await (await mothership()).registry.enrol(body.token, body.serverId);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { serverId: school.serverId, secret, name: school.name, group: school.group };
  });

  router.post('/checkin', async (ctx) => {
    const fleet = await mothership();
    // Who is asking first: an unknown caller's body is never read.
    const school = fleet.registry.authenticate(parseSchoolCredential(ctx.get('Authorization')));
    if (!ctx.is('application/json')) throw FleetErrors.BAD_REPORT('expected a JSON body (Content-Type: application/json)');
    const report = parseReport(await readLimited(ctx));
    if (report.serverId !== school.serverId) throw FleetErrors.FORGED(report.serverId, school.serverId);
    await fleet.registry.checkin(school, report, settings().history);
    ctx.body = { received: new Date().toISOString() };
  });

  router.get('/schools', requireAdmin, async (ctx) => {
    const state = typeof ctx.query.state === 'string' ? ctx.query.state : undefined;
    if (state !== undefined && !SCHOOL_STATES.includes(state as SchoolState)) throw ServerErrors.BAD_REQUEST(`"state" is one of ${SCHOOL_STATES.join(', ')}`);
    noStore(ctx);
    ctx.body = { schools: await (await mothership()).schools(settings().silentAfterMs, state as SchoolState | undefined) };
  });

  router.get('/schools/:id', requireAdmin, async (ctx) => {
    const record = (await mothership()).registry.record(ctx.params.id!);
    if (!record) throw ServerErrors.NOT_FOUND(`school ${ctx.params.id}`);
    const { secretDigest: _secret, ...school } = record.school;
    noStore(ctx);
    ctx.body = { ...school, latest: record.latest, history: record.history };
  });

  router.delete('/schools/:id', requireAdmin, async (ctx) => {
    if (!(await (await mothership()).registry.forget(ctx.params.id!))) throw ServerErrors.NOT_FOUND(`school ${ctx.params.id}`);
    ctx.status = 204;
  });

  router.get('/propagation', requireAdmin, async (ctx) => {
    noStore(ctx);
    ctx.body = await (await mothership()).propagation(settings().silentAfterMs);
  });

  return router;
}

function noStore(ctx: Context): void {
  ctx.set('Cache-Control', 'no-store');
}

/** The body, refused past {@link REPORT_LIMIT} bytes from Content-Length or while streaming. */
async function readLimited(ctx: Context): Promise<Buffer> {
  try {
    return await readBody(ctx, { limit: REPORT_LIMIT });
  } catch (err) {
    if (ServerErrors.BODY_TOO_LARGE.is(err)) throw FleetErrors.TOO_LARGE(REPORT_LIMIT);
    throw err;
  }
}
