/**
 * Every plugin shares one thread: a callback that runs long without yielding
 * stalls all services. The core times the synchronous part of each plugin
 * callback it calls (start, stop, route and TCP connection handlers, each up to
 * its first `await`) and names the plugin when one runs past the threshold.
 */
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';

/** Synchronous work longer than this is reported. */
export const SLOW_CALLBACK_MS = 100;

export type CallbackPhase = 'start' | 'stop' | 'route' | 'connection';

const PHASE_WORDS: Record<CallbackPhase, string> = {
  start: 'its start',
  stop: 'its stop',
  route: 'a route handler',
  connection: 'a connection handler',
};

export class Watchdog {
  constructor(
    private readonly log: Logger,
    private readonly metrics: Metrics,
    private readonly thresholdMs = SLOW_CALLBACK_MS,
  ) {}

  /** Run `fn` (a plugin's callback) and report it if its synchronous part ran long. */
  time<T>(plugin: string, phase: CallbackPhase, fn: () => T, details?: () => Record<string, unknown>): T {
    const started = performance.now();
    try {
      return fn();
    } finally {
      const ms = performance.now() - started;
      if (ms >= this.thresholdMs) {
        this.metrics.observeSlowCallback(plugin, phase);
        this.log.warn(
          { plugin, phase, ms: Math.round(ms), ...details?.() },
          `${plugin}: ${PHASE_WORDS[phase]} kept the event loop busy for ${Math.round(ms)} ms; every service waited`,
        );
      }
    }
  }
}
