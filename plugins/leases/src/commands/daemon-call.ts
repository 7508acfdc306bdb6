/** What every `sugar-server leases` command shares. Calls to the daemon go through the core's `ctx.adminJson`. */
import { ServerErrors, type CommandContext } from 'sugar-server';
import type { LeasesConfig } from '../config.js';

/** The context the core hands a leases command. */
export type LeasesCommandContext = CommandContext<LeasesConfig>;

/** One positional argument, or a usage error naming what is expected. */
export function onePositional(positionals: readonly string[], what: string): string {
  if (positionals.length !== 1) throw ServerErrors.USAGE(`expected ${what}${positionals.length > 1 ? `, got also "${positionals[1]}"` : ''}`);
  return positionals[0]!;
}
