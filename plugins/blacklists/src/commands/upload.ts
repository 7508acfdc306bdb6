/** `sugar-server blacklists upload FILE`: send a lists archive (UT1's blacklists.tar.gz) to the running daemon. */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ServerErrors, type PluginCommand } from 'sugar-server';
import type { BlacklistsConfig } from '../config.js';
import type { CompileStatus } from '../blacklists-service.js';
import { describeCompile } from './recompile.js';

/** `sugar-server blacklists upload`. */
export const uploadCommand: PluginCommand<BlacklistsConfig> = {
  summary: 'upload a .tar.gz of lists (UT1 layout) to the running daemon and compile it',
  usage: `sugar-server blacklists upload FILE

FILE is a .tar.gz in the squidGuard/UT1 layout (UT1's blacklists.tar.gz). The
daemon unpacks it safely, compiles it, and uses it from then on instead of
[blacklists] source; if it cannot be used, the lists in use stay and this exits 1.`,
  async run(args, ctx) {
    const { positionals } = parseArgs({ args: [...args], options: {}, strict: true, allowPositionals: true });
    if (positionals.length !== 1) throw ServerErrors.USAGE('upload needs one FILE');
    const file = resolve(positionals[0]!);
    const body = await readFile(file).catch(() => {
      throw ServerErrors.USAGE(`${file} cannot be read`);
    });
    const answer = await ctx.adminJson<{ compile: CompileStatus; index: string | null }>('/blacklists/v1/lists?wait=1', {
      method: 'POST',
      headers: { 'Content-Type': 'application/gzip' },
      body,
    });
    ctx.out(describeCompile(answer));
    return 0;
  },
};
