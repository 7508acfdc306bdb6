/** Prometheus metrics (prom-client), served as text at `/metrics`. */
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface PluginStateSample {
  readonly service: string;
  readonly packageName: string;
  readonly state: string;
}

export class Metrics {
  readonly registry = new Registry();
  private readonly requests: Histogram<'plugin' | 'method' | 'code'>;
  /** Label children by "plugin method code": looking one up by object costs more per request. */
  private readonly children = new Map<string, { observe(value: number): void }>();

  constructor(pluginStates: () => readonly PluginStateSample[]) {
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Histogram({
      name: 'sugar_server_http_request_duration_seconds',
      help: 'HTTP requests by plugin, method and status code (the _count series counts requests)',
      labelNames: ['plugin', 'method', 'code'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [this.registry],
    });
    new Gauge({
      name: 'sugar_server_plugin_state',
      help: 'Plugin state: 1 for the state each plugin is in',
      labelNames: ['service', 'package', 'state'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const sample of pluginStates()) this.set({ service: sample.service, package: sample.packageName, state: sample.state }, 1);
      },
    });
  }

  observeRequest(plugin: string, method: string, status: number, seconds: number): void {
    const key = `${plugin} ${method} ${status}`;
    let child = this.children.get(key);
    if (!child) {
      child = this.requests.labels(plugin, method, String(status));
      this.children.set(key, child);
    }
    child.observe(seconds);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
