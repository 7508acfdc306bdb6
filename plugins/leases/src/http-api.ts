/**
 * HTTP: the lease of one serial for newer clients, and the admin API (bundles,
 * signing, the stolen list, the report), all under `/leases/v1/`.
 */
import { readBody, readJson, ServerErrors, type PluginContext } from 'sugar-server';
import { LeasesErrors } from './errors.js';
import { expToIso } from './expiry.js';
import type { LeasesService } from './leases-service.js';
import { isSerial } from './lease-line.js';
import { STOLEN } from './lease-store.js';
import type { SignRequest } from './sign-request.js';

const SIGN_BODY_LIMIT = 4096;
const MAX_REPORT_DAYS = 3650;

/** What the routes need. */
export interface HttpApiDeps {
  readonly router: PluginContext['router'];
  readonly requireAdmin: PluginContext['requireAdmin'];
  readonly service: LeasesService;
  readonly uploadLimit: number;
}

function serialParam(value: unknown): string {
  if (!isSerial(value)) throw LeasesErrors.BAD_SERIAL(String(value ?? ''));
  return value;
}

/** Add the `/leases/v1/` routes to the plugin's router. */
export function mountHttpApi({ router, requireAdmin, service, uploadLimit }: HttpApiDeps): void {
  /**
   * The lease text as port 191 would send it. A stolen serial gets 200 with the
   * body `STOLEN`, exactly as on port 191, so a client reads both the same way;
   * no lease is 404.
   */
  router.get('/leases/v1/lease', (c) => {
    const serial = serialParam(c.query.serial);
    const answer = service.answer(serial);
    if (answer.outcome === 'none') throw LeasesErrors.NO_LEASE(serial);
    c.type = 'text/plain; charset=us-ascii';
    c.body = answer.outcome === 'lease' ? answer.text : STOLEN;
  });

  router.post('/leases/v1/bundles', requireAdmin, async (c) => {
    const body = await readBody(c, { limit: uploadLimit });
    c.body = await service.import(body, 'upload');
  });

  router.post('/leases/v1/sign', requireAdmin, async (c) => {
    const lease = await service.sign(await readJson<SignRequest>(c, { limit: SIGN_BODY_LIMIT }));
    c.status = 201;
    c.body = { serial: lease.serial, expires: expToIso(lease.expires), lease: lease.text };
  });

  router.get('/leases/v1/stolen', requireAdmin, (c) => {
    c.body = { stolen: service.stolen() };
  });

  router.put('/leases/v1/stolen/:serial', requireAdmin, async (c) => {
    const serial = serialParam(c.params.serial);
    c.status = (await service.markStolen(serial)) ? 201 : 200;
    c.body = { serial, stolen: true, sources: service.stolenSources(serial) };
  });

  /**
   * Removes the mark made here. 204 when the serial is no longer stolen; 200
   * with a body saying so when the upstream still marks it, since the laptop
   * keeps being answered STOLEN.
   */
  router.delete('/leases/v1/stolen/:serial', requireAdmin, async (c) => {
    const serial = serialParam(c.params.serial);
    const sources = await service.unmarkStolen(serial);
    if (sources.length === 0) {
      c.status = 204;
      return;
    }
    c.body = { serial, stolen: true, sources, message: `the mark made here is removed, but ${serial} stays stolen: the upstream server lists it` };
  });

  router.get('/leases/v1/report', requireAdmin, (c) => {
    const days = c.query.days;
    if (days === undefined) {
      c.body = service.report();
      return;
    }
    if (typeof days !== 'string' || !/^\d{1,4}$/.test(days) || Number(days) > MAX_REPORT_DAYS) {
      throw ServerErrors.BAD_REQUEST(`days must be a whole number from 0 to ${MAX_REPORT_DAYS}`);
    }
    c.body = service.report(Number(days));
  });
}
