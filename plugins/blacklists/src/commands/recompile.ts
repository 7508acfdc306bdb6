/** `sugar-server blacklists recompile`: compile the lists again in the running daemon (after editing the allow or block list). */
import { parseArgs } from 'node:util';
import { ServerErrors, type PluginCommand } from 'sugar-server';
import type { BlacklistsConfig } from '../config.js';
import type { CompileStatus } from '../blacklists-service.js';

interface CompileAnswer {
  readonly compile: CompileStatus;
  readonly index: string | null;
}

/** `sugar-server blacklists recompile`. */
export const recompileCommand: PluginCommand<BlacklistsConfig> = {
  summary: 'compile the lists again in the running daemon and wait for it',
  usage: `sugar-server blacklists recompile [--no-wait]

Reads the current source, blacklists-allow.txt and blacklists-block.txt
again and replaces the index when the compile succeeds (a failure keeps the
index in use and exits 1).
  --no-wait   only start it; see GET /blacklists/v1/status`,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({ args: [...args], options: { 'no-wait': { type: 'boolean' } }, strict: true, allowPositionals: true });
    if (positionals.length) throw ServerErrors.USAGE(`unexpected argument "${positionals[0]}"`);
    const wait = !values['no-wait'];
    const answer = await ctx.adminJson<CompileAnswer>(`/blacklists/v1/recompile${wait ? '?wait=1' : ''}`, { method: 'POST' });
    ctx.out(wait ? describeCompile(answer) : 'compile started');
    return 0;
  },
};

/** One line about a finished compile. */
export function describeCompile(answer: CompileAnswer): string {
  const success = answer.compile.lastSuccess;
  return success ? `compiled in ${(success.ms / 1000).toFixed(1)} s from ${success.source ?? 'the school lists only'}` : 'compiled';
}
