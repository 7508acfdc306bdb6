/**
 * The registry's own HTTP API on the main server: registration for newer
 * clients, and the admin's view of the laptops (admin token required): list,
 * class groups, removal, and the whole list as CSV both ways.
 */
import { readBody, readJson, type Logger, type PluginContext } from 'sugar-server';
import { RegistryErrors } from './errors.js';
import { checkSerial } from './laptop-fields.js';
import { importLaptops } from './laptop-import.js';
import { laptopsToCsv } from './laptops-csv.js';
import type { Registry } from './registry.js';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;
const MAX_OFFSET = 1_000_000_000;

export interface JsonApiOptions {
  /** Largest registration body in bytes. */
  readonly bodyLimit: number;
  /** Largest CSV laptop list in bytes. */
  readonly importLimit: number;
  readonly log: Logger;
}

/** Mount the API on the plugin's main-server router. */
export function serveJsonApi(ctx: PluginContext, registry: Registry, options: JsonApiOptions): void {
  const { router, requireAdmin } = ctx;

  router.post('/registry/v1/register', async (c) => {
    const body = await readJson<unknown>(c, { limit: options.bodyLimit });
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw RegistryErrors.BAD_BODY('{"serial", "nick", "uuid", "pubkey"}');
    const { serial, nick, uuid, pubkey } = body as Record<string, unknown>;
    c.body = await registry.register({ serial, nick, uuid, pubkey }, 'json');
  });

  router.get('/registry/v1/laptops', requireAdmin, (c) => {
    const offset = pageNumber(c.query.offset, 'offset', 0, MAX_OFFSET);
    const limit = pageNumber(c.query.limit, 'limit', DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
    c.body = registry.page(offset, limit);
  });

  router.get('/registry/v1/laptops.csv', requireAdmin, (c) => {
    c.attachment('laptops.csv');
    c.type = 'text/csv; charset=utf-8';
    c.body = laptopsToCsv(registry.list());
  });

  router.post('/registry/v1/laptops.csv', requireAdmin, async (c) => {
    const dryRun = flag(c.query.dryRun);
    const csv = decodeUtf8(await readBody(c, { limit: options.importLimit }));
    const report = await importLaptops(registry, csv, { dryRun });
    const { rows, added, updated, unchanged, problems, applied } = report;
    options.log.info({ dryRun, applied, rows, added, updated, unchanged, refused: problems.length }, applied ? 'laptop list imported' : 'laptop list checked, nothing written');
    c.body = report;
  });

  router.get('/registry/v1/laptops/:serial', requireAdmin, (c) => {
    const serial = checkSerial(c.params.serial);
    const laptop = registry.get(serial);
    if (!laptop) throw RegistryErrors.NOT_REGISTERED(serial);
    c.body = laptop;
  });

  router.patch('/registry/v1/laptops/:serial', requireAdmin, async (c) => {
    const serial = checkSerial(c.params.serial);
    const body = await readJson<unknown>(c, { limit: options.bodyLimit });
    const expected = '{"classGroup": "<name>" or null}';
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw RegistryErrors.BAD_BODY(expected);
    const fields = Object.keys(body);
    if (fields.length !== 1 || fields[0] !== 'classGroup') throw RegistryErrors.BAD_BODY(`${expected}; only the class group can be changed`);
    c.body = await registry.setClassGroup(serial, (body as { classGroup: unknown }).classGroup);
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

/** `?dryRun`, `?dryRun=1` or `=true` asks for a dry run; `0` or `false` does not. */
function flag(raw: string | string[] | undefined): boolean {
  return raw !== undefined && !['0', 'false'].includes(String(raw));
}

function decodeUtf8(body: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw RegistryErrors.BAD_CSV('the file is not UTF-8 text (save it from the spreadsheet as "CSV UTF-8")');
  }
}
