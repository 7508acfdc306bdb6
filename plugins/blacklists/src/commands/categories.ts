/** `sugar-server blacklists categories`: what the running daemon compiled, per category. */
import { parseArgs } from 'node:util';
import { ServerErrors, type PluginCommand } from 'sugar-server';
import type { CategoriesReport } from '../export/categories-report.js';
import type { BlacklistsConfig } from '../config.js';

/** `sugar-server blacklists categories`. */
export const categoriesCommand: PluginCommand<BlacklistsConfig> = {
  summary: 'list the compiled categories with their counts, action and time windows',
  usage: `sugar-server blacklists categories [--json]

  --json   the daemon's answer as JSON`,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({ args: [...args], options: { json: { type: 'boolean' } }, strict: true, allowPositionals: true });
    if (positionals.length) throw ServerErrors.USAGE(`unexpected argument "${positionals[0]}"`);
    const report = await ctx.adminJson<CategoriesReport>('/blacklists/v1/categories');
    if (values.json) {
      ctx.out(JSON.stringify(report, null, 2));
      return 0;
    }
    ctx.out(`compiled ${report.compiledAt} in ${report.compileSeconds} s from ${report.source ?? 'the school lists only'}`);
    for (const c of report.categories) {
      const when = c.windows.length ? ` only ${c.windows.join(', ')}` : '';
      ctx.out(`  ${c.name.padEnd(20)} ${String(c.domains).padStart(9)} domains ${String(c.urls).padStart(8)} urls ${String(c.expressions).padStart(3)} expressions  ${c.id === 0 ? 'allow' : c.action}${when}${c.missing ? '  (not in the source)' : ''}${c.garbage ? `  ${c.garbage} lines refused` : ''}`);
    }
    if (report.unused.length) ctx.out(`not used: ${report.unused.map((u) => u.name).join(', ')}`);
    return 0;
  },
};
