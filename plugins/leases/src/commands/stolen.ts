/** `sugar-server leases stolen add|remove|list`: the serials that get `STOLEN`. */
import { parseArgs } from 'node:util';
import { ServerErrors, type PluginCommand } from 'sugar-server';
import type { LeasesConfig } from '../config.js';
import { isSerial } from '../lease-line.js';
import type { StolenEntry, StolenSource } from '../stolen-sets.js';

interface StolenList {
  readonly stolen: readonly StolenEntry[];
}

/** What `DELETE /leases/v1/stolen/SN` answers when the serial stays stolen (204, no body, otherwise). */
interface StillStolen {
  readonly sources: readonly StolenSource[];
}

const SOURCE_WORDS: Record<StolenSource, string> = { local: 'marked here', upstream: 'from upstream' };

/** `sugar-server leases stolen`. */
export const stolenCommand: PluginCommand<LeasesConfig> = {
  summary: 'mark a serial stolen here, remove that mark, or list the stolen serials',
  usage: `sugar-server leases stolen add SN | remove SN | list [--json]

A stolen serial is answered STOLEN on port 191 (and by GET /leases/v1/lease),
which locks the laptop, from the next request on. A serial is stolen when this
server marked it (add/remove) or when the upstream feed lists it; remove takes
off only the mark made here, and list shows where each mark came from.`,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: { json: { type: 'boolean' } },
      strict: true,
      allowPositionals: true,
    });
    const [action, serial, extra] = positionals;
    if (extra !== undefined) throw ServerErrors.USAGE(`unexpected argument "${extra}"`);
    if (action === 'list') {
      if (serial !== undefined) throw ServerErrors.USAGE(`unexpected argument "${serial}"`);
      const { stolen } = await ctx.adminJson<StolenList>('/leases/v1/stolen');
      if (values.json) ctx.out(JSON.stringify(stolen, null, 2));
      else if (stolen.length === 0) ctx.out('no serial is on the stolen list');
      else for (const entry of stolen) ctx.out(`${entry.serial}  since ${entry.since}  (${entry.sources.map((s) => SOURCE_WORDS[s]).join(', ')})`);
      return 0;
    }
    if (action !== 'add' && action !== 'remove') throw ServerErrors.USAGE('expected add SN, remove SN or list');
    if (!isSerial(serial)) throw ServerErrors.USAGE(`${action} needs a serial number${serial ? `, not "${serial}"` : ''}`);
    const path = `/leases/v1/stolen/${encodeURIComponent(serial)}`;
    if (action === 'add') {
      await ctx.adminJson(path, { method: 'PUT' });
      ctx.out(`${serial} is on the stolen list: it is answered STOLEN from now on`);
    } else {
      const still = await ctx.adminJson<StillStolen | undefined>(path, { method: 'DELETE' });
      if (still?.sources.length) ctx.out(`${serial}: the mark made here is removed, but it stays STOLEN: the upstream server lists it`);
      else ctx.out(`${serial} is off the stolen list`);
    }
    return 0;
  },
};
