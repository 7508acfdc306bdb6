/** `sugar-server activities add FILE.xo`: upload a bundle to the running daemon. */
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ServerErrors, type PluginCommand } from 'sugar-server';
import type { BundleJson } from '../bundle-record.js';
import type { ActivitiesConfig } from '../config.js';

/** `sugar-server activities add`. */
export const addCommand: PluginCommand<ActivitiesConfig> = {
  summary: 'check a .xo bundle and add it to the library of the running daemon',
  usage: `sugar-server activities add FILE.xo [--replace] [--json]

The daemon checks the bundle as it checks every bundle (a zip with one
*.activity folder, a readable activity.info, no unsafe entries, within the
size limits) and stores it as <bundle_id>-<version>.xo.
  --replace   replace a bundle of the same id and version
  --json      print the daemon's answer as JSON`,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: { replace: { type: 'boolean' }, json: { type: 'boolean' } },
      strict: true,
      allowPositionals: true,
    });
    if (positionals.length !== 1) throw ServerErrors.USAGE('expected one FILE.xo to add');
    const path = resolve(positionals[0]!);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) throw ServerErrors.USAGE(`${path} is not a file`);
    const answer = await ctx.adminJson<{ bundle: BundleJson; replaced: string[] }>(`/activities/v1/bundles${values.replace ? '?replace=1' : ''}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/vnd.olpc-sugar' },
      body: await readFile(path),
    });
    if (values.json) {
      ctx.out(JSON.stringify(answer, null, 2));
      return 0;
    }
    const { bundle } = answer;
    ctx.out(`added ${bundle.id} version ${bundle.version} (${bundle.name}) as ${bundle.file}${answer.replaced.length ? `, replacing ${answer.replaced.join(', ')}` : ''}`);
    for (const warning of bundle.warnings) ctx.out(`  warning: ${warning}`);
    return 0;
  },
};
