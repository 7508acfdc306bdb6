/** `sugar-server blacklists check URL…`: what the filter decides, from the index on disk (no daemon needed). */
import { parseArgs } from 'node:util';
import { ServerErrors, type PluginCommand } from 'sugar-server';
import { ActiveCategories } from '../policy/active-categories.js';
import { BlacklistIndex } from '../index/blacklist-index.js';
import type { BlacklistsConfig } from '../config.js';
import { Decider } from '../squid/decision.js';
import { BlacklistsErrors } from '../errors.js';
import { enableLinearFallback } from '../compile/expressions.js';
import { byteString, normaliseUrl } from '../squid/normalise.js';
import { indexFile } from '../paths.js';

/** `sugar-server blacklists check`. */
export const checkCommand: PluginCommand<BlacklistsConfig> = {
  summary: 'say whether URLs are blocked, by which category and rule (reads the index on disk)',
  usage: `sugar-server blacklists check URL [URL…] [--json]

Decides each URL as the squid helper would, with the index the daemon last
compiled. Exits 1 when any URL is blocked.
  --json   one JSON object per URL`,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({ args: [...args], options: { json: { type: 'boolean' } }, strict: true, allowPositionals: true });
    if (positionals.length === 0) throw ServerErrors.USAGE('check needs at least one URL');
    enableLinearFallback();
    const file = indexFile(ctx.dataDir);
    const index = await BlacklistIndex.load(file).catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'ENOENT' ? BlacklistsErrors.NO_INDEX() : err;
    });
    const decider = new Decider(index, new ActiveCategories(), ctx.config.page_url);
    let blocked = false;
    for (const raw of positionals) {
      const url = normaliseUrl(byteString(raw));
      if (!url) throw BlacklistsErrors.BAD_URL(raw);
      const decision = decider.decide(url);
      blocked ||= decision.blocked;
      if (values.json) ctx.out(JSON.stringify({ url: raw, ...decision }));
      else {
        const rule = decision.rule ? ` (${decision.rule.list} ${decision.rule.entry}${decision.blocked ? '' : `, on the ${decision.rule.category} list`})` : '';
        ctx.out(`${raw}: ${decision.blocked ? `BLOCKED, ${decision.category}, ${decision.action}` : 'allowed'}${rule}`);
      }
    }
    return blocked ? 1 : 0;
  },
};
