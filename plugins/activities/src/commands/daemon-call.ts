/** What every `sugar-server activities` command shares. Calls to the daemon go through the core's `ctx.adminJson`. */
import type { CommandContext } from 'sugar-server';
import type { ActivitiesConfig } from '../config.js';

/** The context the core hands an activities command. */
export type ActivitiesCommandContext = CommandContext<ActivitiesConfig>;
