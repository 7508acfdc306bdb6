/** `sugar-server activities list`: the bundles the daemon serves, and the files it refused. */
import { parseArgs } from 'node:util';
import { ServerErrors, type PluginCommand } from 'sugar-server';
import type { BundleJson } from '../bundle-record.js';
import type { ActivitiesConfig } from '../config.js';
import type { Problem } from '../library-index.js';
import { MAX_PAGE_SIZE } from '../library-api.js';
import type { ActivitiesCommandContext } from './daemon-call.js';

/** `sugar-server activities list`. */
export const listCommand: PluginCommand<ActivitiesConfig> = {
  summary: 'list the bundles in the library, newest version first, and the files refused',
  usage: `sugar-server activities list [--json]

One line per bundle: id, version, name, size and file; "*" marks the version
the pages offer. Files that are not served are listed after, with the reason.
  --json   print {bundles, problems} as JSON`,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({ args: [...args], options: { json: { type: 'boolean' } }, strict: true, allowPositionals: true });
    if (positionals.length) throw ServerErrors.USAGE(`unexpected argument "${positionals[0]}"`);
    const bundles = await allBundles(ctx);
    const { problems } = await ctx.adminJson<{ problems: Problem[] }>('/activities/v1/problems');
    if (values.json) {
      ctx.out(JSON.stringify({ bundles, problems }, null, 2));
      return 0;
    }
    if (bundles.length === 0) ctx.out('the library holds no bundles');
    for (const b of bundles) ctx.out(`${b.newest ? '*' : ' '} ${b.id}  ${b.version}  ${b.name}  ${b.size} bytes  ${b.file}`);
    if (problems.length) {
      ctx.out(`refused (${problems.length}):`);
      for (const p of problems) ctx.out(`  ${p.file}: ${p.code}: ${p.reason}`);
    }
    return 0;
  },
};

/** Every bundle, page by page. */
export async function allBundles(ctx: ActivitiesCommandContext, id?: string): Promise<BundleJson[]> {
  const bundles: BundleJson[] = [];
  const filter = id === undefined ? '' : `&id=${encodeURIComponent(id)}`;
  for (;;) {
    const page = await ctx.adminJson<{ total: number; bundles: BundleJson[] }>(`/activities/v1/bundles?offset=${bundles.length}&limit=${MAX_PAGE_SIZE}${filter}`);
    bundles.push(...page.bundles);
    if (page.bundles.length === 0 || bundles.length >= page.total) return bundles;
  }
}
