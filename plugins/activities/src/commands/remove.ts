/** `sugar-server activities remove ID [VERSION]`: delete bundles from the library. */
import { parseArgs } from 'node:util';
import { ServerErrors, type PluginCommand } from 'sugar-server';
import type { ActivitiesConfig } from '../config.js';
import { ActivitiesErrors } from '../errors.js';
import { allBundles } from './list.js';

/** `sugar-server activities remove`. */
export const removeCommand: PluginCommand<ActivitiesConfig> = {
  summary: 'delete one version of a bundle, or all of its versions, from the library',
  usage: `sugar-server activities remove ID [VERSION]

Deletes the files of bundle ID at VERSION (versions Sugar takes as equal, such
as 2 and 2.0, go together), or every version of ID when VERSION is left out.`,
  async run(args, ctx) {
    const { positionals } = parseArgs({ args: [...args], options: {}, strict: true, allowPositionals: true });
    const [id, version, extra] = positionals;
    if (!id || extra !== undefined) throw ServerErrors.USAGE('expected ID [VERSION]');
    const targets = version === undefined ? (await allBundles(ctx, id)).map((b) => ({ version: b.version, file: b.file })) : [{ version, file: '' }];
    if (targets.length === 0) throw ActivitiesErrors.NOT_FOUND(`bundle id ${JSON.stringify(id)}`);
    const gone = new Set<string>();
    for (const target of targets) {
      // One call removes every file of versions Sugar takes as equal: skip files already gone.
      if (gone.has(target.file)) continue;
      const path = `/activities/v1/bundles/${encodeURIComponent(id)}/${encodeURIComponent(target.version)}`;
      const { removed } = await ctx.adminJson<{ removed: string[] }>(path, { method: 'DELETE' });
      for (const file of removed) gone.add(file);
      ctx.out(`removed ${id} version ${target.version} (${removed.join(', ')})`);
    }
    return 0;
  },
};
