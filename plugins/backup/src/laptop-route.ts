/**
 * `GET /backup/1/available/<SN>` on the main HTTP port, which ds-backup asks
 * before each backup: an empty text/plain answer whose status is all that
 * counts (200 go, 403 unknown laptop, 503 busy: the client backs off and asks
 * again). Every answer is logged with its reason.
 */
import type { Logger, PluginContext } from 'sugar-server';
import type { Availability } from './availability.js';

export function mountAvailability(router: PluginContext['router'], availability: Availability, log: Logger): void {
  router.get('/backup/1/available/:serial', async (c) => {
    const serial = c.params.serial ?? '';
    const { status, reason } = await availability.answer(serial);
    log.info({ serial: serial.slice(0, 64), status, reason }, `backup availability: ${status} (${reason})`);
    c.status = status;
    c.type = 'text/plain';
    c.body = '';
  });
}
