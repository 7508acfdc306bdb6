/** What every `sugar-server blacklists` command shares. Calls to the daemon go through the core's `ctx.adminJson`. */
import type { CommandContext } from 'sugar-server';
import type { BlacklistsConfig } from '../config.js';

/** The context the core hands a blacklists command. */
export type BlacklistsCommandContext = CommandContext<BlacklistsConfig>;
