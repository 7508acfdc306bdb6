/**
 * The registry's own HTTP API on the main server: registration for newer
 * clients, and the admin's view of the laptops (admin token required).
 */
import { readJson, type PluginContext } from 'sugar-server';
import { RegistryErrors } from './errors.js';
import { checkSerial } from './laptop-fields.js';
import type { Registry } from './registry.js';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;
const MAX_OFFSET = 1_000_000_000;

export interface JsonApiOptions {
  /** Largest registration body in bytes. */
  readonly bodyLimit: number;
}

/** Mount the API on the plugin's main-server router. */
export function serveJsonApi(ctx: PluginContext, registry: Registry, options: JsonApiOptions): void {
  const { router, requireAdmin } = ctx;

  router.post('/registry/v1/register', async (c) => {
    const body = await readJson<unknown>(c, { limit: options.bodyLimit });
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw RegistryErrors.BAD_BODY();
    const { serial, nick, uuid, pubkey } = body as Record<string, unknown>;
    c.body = await registry.register({ serial, nick, uuid, pubkey }, 'json');
  });

  router.get('/registry/v1/laptops', requireAdmin, (c) => {
    const offset = pageNumber(c.query.offset, 'offset', 0, MAX_OFFSET);
    const limit = pageNumber(c.query.limit, 'limit', DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
    c.body = registry.page(offset, limit);
  });

  router.get('/registry/v1/laptops/:serial', requireAdmin, (c) => {
    const serial = checkSerial(c.params.serial);
    const laptop = registry.get(serial);
    if (!laptop) throw RegistryErrors.NOT_REGISTERED(serial);
    c.body = laptop;
  });

  router.delete('/registry/v1/laptops/:serial', requireAdmin, async (c) => {
    const serial = checkSerial(c.params.serial);
    if (!(await registry.remove(serial))) throw RegistryErrors.NOT_REGISTERED(serial);
    c.status = 204;
  });
}

/** A paging parameter: absent means `fallback`; anything but one whole number in range is refused. */
function pageNumber(raw: string | string[] | undefined, name: 'offset' | 'limit', fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  const text = Array.isArray(raw) ? raw.join(',') : raw;
  const value = /^\d{1,10}$/.test(text) ? Number(text) : NaN;
  const min = name === 'limit' ? 1 : 0;
  if (!(value >= min && value <= max)) throw RegistryErrors.BAD_PAGE(name, text, max);
  return value;
}
