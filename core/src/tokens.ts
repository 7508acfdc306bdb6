/**
 * DI tokens for the core's services. `Symbol.for`, so a plugin that bundles its own
 * copy of this package still resolves the same services.
 */
import type { InjectionToken } from 'tsyringe';
import type { CoreConfig } from './config/schema.js';
import type { Logger } from './log.js';
import type { Metrics } from './metrics.js';
import type { Paths } from './paths.js';

export interface Clock {
  now(): number;
}

export const Tokens = {
  Config: Symbol.for('sugar-server.config') as InjectionToken<CoreConfig>,
  Logger: Symbol.for('sugar-server.logger') as InjectionToken<Logger>,
  Paths: Symbol.for('sugar-server.paths') as InjectionToken<Paths>,
  Metrics: Symbol.for('sugar-server.metrics') as InjectionToken<Metrics>,
  Clock: Symbol.for('sugar-server.clock') as InjectionToken<Clock>,
} as const;
