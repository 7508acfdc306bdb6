/** Prometheus metrics (prom-client), served as text at `/metrics`. */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Context } from 'koa';
import type { FeedState } from './feeds/types.js';
import { collectDefaultMetrics, Counter, Gauge, Registry, type Metric } from 'prom-client';

export interface PluginStateSample {
  readonly service: string;
  readonly packageName: string;
  readonly state: string;
}

const REQUEST_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5] as const;

interface Series {
  readonly labels: { plugin: string; method: string; code: string };
  count: number;
  sum: number;
  /** Observations per bucket (not cumulative; made cumulative when rendered). */
  readonly buckets: Float64Array;
}

/**
 * HTTP request latencies as a Prometheus histogram. prom-client's Histogram
 * rebuilds and hashes the label set on every observation; requests are the hot
 * path, so observations land in plain per-series counters here and prom-client
 * only renders them when /metrics is scraped.
 */
class RequestHistogram {
  readonly name = 'sugar_server_http_request_duration_seconds';
  readonly help = 'HTTP requests by plugin, method and status code (the _count series counts requests)';
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, Series>();

  observe(plugin: string, method: string, status: number, seconds: number): void {
    const key = `${plugin} ${method} ${status}`;
    let series = this.series.get(key);
    if (!series) {
      series = { labels: { plugin, method, code: String(status) }, count: 0, sum: 0, buckets: new Float64Array(REQUEST_BUCKETS.length) };
      this.series.set(key, series);
    }
    series.count++;
    series.sum += seconds;
    for (let i = 0; i < REQUEST_BUCKETS.length; i++) {
      if (seconds <= REQUEST_BUCKETS[i]!) {
        series.buckets[i]!++;
        break;
      }
    }
  }

  get() {
    const values: { value: number; labels: Record<string, string | number>; metricName: string }[] = [];
    for (const { labels, count, sum, buckets } of this.series.values()) {
      let cumulative = 0;
      REQUEST_BUCKETS.forEach((le, i) => {
        cumulative += buckets[i]!;
        values.push({ value: cumulative, labels: { le, ...labels }, metricName: `${this.name}_bucket` });
      });
      values.push({ value: count, labels: { le: '+Inf', ...labels }, metricName: `${this.name}_bucket` });
      values.push({ value: sum, labels, metricName: `${this.name}_sum` });
      values.push({ value: count, labels, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.series.clear();
  }
}

/** Event-loop lag in milliseconds: how late the loop came back to a timer. */
export interface LagSummary {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

const LAG_RESOLUTION_MS = 10;
const LAG_WINDOW_MS = 60_000;

/**
 * Event-loop lag for /status, over the last one to two minutes: the worst of the
 * minute under way and the one before, so a stall stays visible for a while.
 * (prom-client keeps its own histogram for the `nodejs_eventloop_lag_*` series.)
 */
class EventLoopLag {
  private readonly delay: IntervalHistogram = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  private previous: LagSummary = { p50: 0, p99: 0, max: 0 };

  constructor() {
    this.delay.enable();
    setInterval(() => {
      this.previous = this.window();
      this.delay.reset();
    }, LAG_WINDOW_MS).unref();
  }

  summary(): LagSummary {
    const now = this.window();
    return { p50: Math.max(now.p50, this.previous.p50), p99: Math.max(now.p99, this.previous.p99), max: Math.max(now.max, this.previous.max) };
  }

  private window(): LagSummary {
    if (this.delay.count === 0) return { p50: 0, p99: 0, max: 0 };
    // The histogram holds whole timer intervals; the lag is what exceeds the interval.
    const lag = (ns: number) => Math.max(0, Math.round((ns / 1e6 - LAG_RESOLUTION_MS) * 10) / 10);
    return { p50: lag(this.delay.percentile(50)), p99: lag(this.delay.percentile(99)), max: lag(this.delay.max) };
  }
}

export interface FleetSample {
  readonly states: Readonly<Record<string, number>>;
  readonly feeds: readonly { readonly name: string; readonly schools: number; readonly current: number; readonly lag: { readonly p50: number | null; readonly p90: number | null; readonly max: number | null } }[];
  readonly lastCheckin: number | null;
}

export interface FeedSample {
  readonly owner: string;
  readonly state: FeedState;
}

export class Metrics {
  readonly registry = new Registry();
  private readonly requests = new RequestHistogram();
  private readonly lag = new EventLoopLag();
  private readonly slowCallbacks: Counter<'plugin' | 'phase'>;

  /** Where the plugin-state gauge reads from; see {@link watchPlugins}. */
  private pluginStates: () => readonly PluginStateSample[];

  constructor(pluginStates: () => readonly PluginStateSample[] = () => []) {
    this.pluginStates = pluginStates;
    const states = () => this.pluginStates();
    collectDefaultMetrics({ register: this.registry });
    this.registry.registerMetric(this.requests as unknown as Metric);
    new Gauge({
      name: 'sugar_server_plugin_state',
      help: 'Plugin state: 1 for the state each plugin is in',
      labelNames: ['service', 'package', 'state'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const sample of states()) this.set({ service: sample.service, package: sample.packageName, state: sample.state }, 1);
      },
    });
    this.slowCallbacks = new Counter({
      name: 'sugar_server_plugin_slow_callbacks_total',
      help: 'Plugin callbacks (start, stop, route and connection handlers) that ran long without yielding, stalling every service',
      labelNames: ['plugin', 'phase'],
      registers: [this.registry],
    });
  }
  /** Read plugin states for the gauge from `states` (the host, once it exists). */
  watchPlugins(states: () => readonly PluginStateSample[]): void {
    this.pluginStates = states;
  }

  /** `sugar_server_maintenance`: 1 while maintenance mode is on. */
  watchMaintenance(on: () => boolean): void {
    new Gauge({
      name: 'sugar_server_maintenance',
      help: '1 while maintenance mode holds laptop-facing HTTP back with 503',
      registers: [this.registry],
      collect() {
        this.set(on() ? 1 : 0);
      },
    });
  }

  /** Gauges of every mirrored feed: version held, expired, refused (by code), last success. */
  watchFeeds(feeds: () => readonly FeedSample[]): void {
    const gauge = (name: string, help: string, value: (state: FeedSample['state']) => number | null, extra: (state: FeedSample['state']) => Record<string, string> = () => ({})) =>
      new Gauge({
        name,
        help,
        labelNames: ['owner', 'feed', 'trust', 'code'],
        registers: [this.registry],
        collect() {
          this.reset();
          for (const { owner, state } of feeds()) {
            const v = value(state);
            if (v !== null) this.set({ owner, feed: state.name, trust: state.trust, ...extra(state) }, v);
          }
        },
      });
    gauge('sugar_server_feed_version', 'Version of the manifest each mirrored feed holds (0 when it carries none)', (s) => s.version ?? 0);
    gauge('sugar_server_feed_expired', '1 when the held manifest\'s signature ran out: the upstream stopped re-signing', (s) => (s.expired ? 1 : 0));
    gauge('sugar_server_feed_refused', '1 while the last update of a feed was refused, labelled with the error code', (s) => (s.lastErrorCode ? 1 : null), (s) => ({ code: s.lastErrorCode ?? '' }));
    gauge('sugar_server_feed_last_success_timestamp_seconds', 'When the feed\'s upstream was last reached and the copy known current', (s) =>
      s.lastSuccess ? Date.parse(s.lastSuccess) / 1000 : null);
  }

  /** Gauges of the fleet: schools by state and lag per feed (an upstream), the last check-in taken (a school). */
  watchFleet(fleet: () => Promise<FleetSample>): void {
    let sample: Promise<FleetSample> | undefined;
    // One propagation per scrape, shared by the gauges.
    const current = () => (sample ??= fleet().finally(() => setImmediate(() => (sample = undefined))));
    new Gauge({
      name: 'sugar_server_fleet_schools',
      help: 'Schools checking in with this server, by state (current, behind, failing, silent, never)',
      labelNames: ['state'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const [state, n] of Object.entries((await current()).states)) this.set({ state }, n);
      },
    });
    new Gauge({
      name: 'sugar_server_fleet_feed_schools',
      help: 'Per feed published here: schools reporting it, and of them those holding the latest version',
      labelNames: ['feed', 'holding'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const feed of (await current()).feeds) {
          this.set({ feed: feed.name, holding: 'any' }, feed.schools);
          this.set({ feed: feed.name, holding: 'latest' }, feed.current);
        }
      },
    });
    new Gauge({
      name: 'sugar_server_fleet_feed_lag_seconds',
      help: 'Per feed published here: publish-to-applied lag of the schools holding the latest version (p50, p90, max)',
      labelNames: ['feed', 'quantile'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const feed of (await current()).feeds) {
          for (const [quantile, value] of [['0.5', feed.lag.p50], ['0.9', feed.lag.p90], ['1', feed.lag.max]] as const) {
            if (value !== null) this.set({ feed: feed.name, quantile }, value);
          }
        }
      },
    });
    new Gauge({
      name: 'sugar_server_fleet_last_checkin_timestamp_seconds',
      help: 'When this server\'s last check-in was taken by its upstream',
      registers: [this.registry],
      async collect() {
        this.reset();
        const at = (await current()).lastCheckin;
        if (at !== null) this.set(at);
      },
    });
  }

  observeSlowCallback(plugin: string, phase: string): void {
    this.slowCallbacks.inc({ plugin, phase });
  }

  /** Event-loop lag of the last minute or two, for /status. */
  eventLoopLag(): LagSummary {
    return this.lag.summary();
  }

  observeRequest(plugin: string, method: string, status: number, seconds: number): void {
    this.requests.observe(plugin, method, status, seconds);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}

/** `GET /metrics`: Prometheus text. */
export function metricsRoute(metrics: Metrics): (ctx: Context) => Promise<void> {
  return async (ctx) => {
    ctx.set('Content-Type', metrics.registry.contentType);
    ctx.body = await metrics.text();
  };
}
