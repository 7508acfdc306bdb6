/**
 * `GET /status`: the server and every discovered plugin. Public, so it shows no
 * secrets (no token, no config values). The JSON is cached until a plugin or a
 * feed changes state or the uptime second ticks, so polling it costs one string write.
 */
import type { MaintenanceState } from './maintenance.js';
import type { LagSummary } from './metrics.js';
import type { Context } from 'koa';
import type { Discovery } from './plugins/discover.js';
import type { PluginHost } from './plugins/host.js';
import type { Selection } from './plugins/selection.js';

export type ServerState = 'starting' | 'running' | 'reloading' | 'stopping';

export interface ConfigInfo {
  generation: number;
  loadedAt: number;
  /** The last reload that was refused, with its problems; null when the last one applied. */
  lastError: string | null;
}

export interface StatusSource {
  readonly version: string;
  readonly api: string;
  readonly startedAt: number;
  state(): ServerState;
  readonly host: PluginHost;
  config(): ConfigInfo;
  discovery(): { discovery: Discovery; selection: Selection } | undefined;
  /** Event-loop lag in ms over the last minute or two. */
  eventLoopLag(): LagSummary;
  /** Whether feeds are taken signed, what this server publishes, the configuration feed. */
  feeds?(): unknown;
  /** Grows whenever a feed's state changes (an import, a refresh): the cached document is rebuilt then. */
  feedsRevision?(): number;
  maintenance?(): MaintenanceState;
  /** This server's id, its check-ins upstream, how many schools check in here. */
  fleet?(): unknown;
}

export class StatusBoard {
  private cached = Buffer.alloc(0);
  private cachedSecond = -1;
  private cachedFor: unknown[] = [];

  constructor(private readonly source: StatusSource) {}

  /** The JSON document as UTF-8 bytes, rebuilt only when something in it changed. */
  body(now = Date.now()): Buffer {
    const s = this.source;
    const second = Math.floor(now / 1000);
    const config = s.config();
    const inputs = [s.host.generation, s.state(), config, s.feedsRevision?.()];
    if (second !== this.cachedSecond || inputs.some((value, i) => value !== this.cachedFor[i])) {
      this.cached = Buffer.from(JSON.stringify(this.document(now)));
      this.cachedSecond = second;
      this.cachedFor = inputs;
    }
    return this.cached;
  }

  /** The document itself, built now (the admin console's overview shows it). */
  document(now = Date.now()) {
    const s = this.source;
    const found = s.discovery();
    const config = s.config();
    const plugins = s.host.list().map((plugin) => ({
      service: plugin.service,
      package: plugin.packageName,
      version: plugin.version,
      enabled: plugin.enabled,
      state: plugin.state,
      dependsOn: plugin.dependsOn,
      uptime: plugin.since === null ? null : Math.floor((now - plugin.since) / 1000),
      error: plugin.error,
      listeners: plugin.listeners,
      feeds: plugin.feeds,
      details: plugin.details,
      ...(plugin.isolated ? { isolated: true, pid: plugin.pid } : {}),
    }));
    const selected = new Set(plugins.map((p) => p.package));
    const standby = (found?.discovery.candidates ?? [])
      .filter((candidate) => !selected.has(candidate.packageName))
      .map((candidate) => ({
        service: candidate.service,
        package: candidate.packageName,
        version: candidate.version,
        reason: `not the selected provider of "${candidate.service}"`,
      }));
    const rejected = (found?.discovery.rejected ?? []).map((r) => ({ package: r.packageName, reason: r.reason }));
    return {
      server: {
        name: 'sugar-server',
        version: s.version,
        pluginApi: s.api,
        state: s.state(),
        uptime: Math.floor((now - s.startedAt) / 1000),
        config: { generation: config.generation, loadedAt: new Date(config.loadedAt).toISOString(), lastError: config.lastError },
        eventLoop: { lagMs: s.eventLoopLag() },
        maintenance: s.maintenance?.() ?? null,
      },
      feeds: s.feeds?.() ?? null,
      fleet: s.fleet?.() ?? null,
      plugins,
      standby,
      rejected,
    };
  }
}

/** `GET /status`: the board's bytes, never cached by clients. */
/** What `/status` holds. */
export type StatusDocument = ReturnType<StatusBoard['document']>;

export function statusRoute(board: StatusBoard): (ctx: Context) => void {
  return (ctx) => {
    ctx.set('Content-Type', 'application/json; charset=utf-8');
    ctx.set('Cache-Control', 'no-store');
    ctx.body = board.body();
  };
}
