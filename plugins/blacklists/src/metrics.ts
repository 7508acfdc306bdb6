/**
 * The plugin's Prometheus series, added to the core's registry (`/metrics`)
 * while the plugin runs: whether an index answers, and what the squid helper
 * does without one. Each is read from the service when scraped.
 */
import { Tokens, type PluginContext } from 'sugar-server';
import type { WhenUnavailable } from './config.js';

/** What the series report. */
export interface FilteringState {
  readonly indexLoaded: boolean;
  readonly whenUnavailable: WhenUnavailable;
}

interface Sample {
  readonly value: number;
  readonly labels?: Readonly<Record<string, string>>;
}

/** A gauge computed at scrape time, in the shape prom-client's registry renders. */
function gauge(name: string, help: string, sample: () => Sample[]) {
  const metric = { name, help, type: 'gauge', aggregator: 'sum' };
  return { ...metric, get: async () => ({ ...metric, values: sample() }), reset() {} };
}

/** Register the series; they are removed when the plugin stops (and replaced if it starts again). */
export function registerMetrics(ctx: Pick<PluginContext, 'container' | 'signal'>, state: () => FilteringState): void {
  if (!ctx.container.isRegistered(Tokens.Metrics, true)) return;
  const registry = ctx.container.resolve(Tokens.Metrics).registry;
  const series = [
    gauge('sugar_server_blacklists_index_loaded', 'Blacklists: 1 when a compiled index answers, 0 while filtering is unavailable', () => [
      { value: state().indexLoaded ? 1 : 0 },
    ]),
    gauge('sugar_server_blacklists_when_unavailable', 'Blacklists: 1 for what the squid helper does without an index ([blacklists] when_unavailable)', () => [
      { value: 1, labels: { action: state().whenUnavailable } },
    ]),
  ];
  for (const metric of series) {
    registry.removeSingleMetric(metric.name);
    registry.registerMetric(metric as unknown as Parameters<typeof registry.registerMetric>[0]);
  }
  ctx.signal.addEventListener('abort', () => {
    // Only ours: a plugin started again may have registered its own already.
    for (const metric of series) if (registry.getSingleMetric(metric.name) === (metric as unknown)) registry.removeSingleMetric(metric.name);
  }, { once: true });
}
