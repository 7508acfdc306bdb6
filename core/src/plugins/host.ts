/**
 * Runs plugins: starts them in dependency order, each under a timeout; a plugin
 * that throws or hangs is marked failed and its dependants blocked while the rest
 * serve. `apply` moves from the running set to a new plan, touching only what
 * changed (the SIGHUP path); `stopAll` stops in reverse start order.
 */
import { existsSync, realpathSync } from 'node:fs';
import { isSugarError, ServerErrors, withCause, type SugarError } from '../errors.js';
import type { Logger } from '../log.js';
import { withTimeout, withTimeoutExcept } from '../timeout.js';
import { PluginRuntime, type RuntimeDeps } from './context.js';
import type { FeedState } from '../feeds/types.js';
import type { PluginDefinition, StatusDetails } from './definition.js';
import { orderServices } from './graph.js';
import { IsolatedRuntime } from './isolation/runtime.js';
import { runAs } from './ownership.js';
import type { Candidate } from './manifest.js';

export type PluginState = 'disabled' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed' | 'blocked';

/** One service as the new configuration wants it. */
export interface PlannedService {
  readonly service: string;
  readonly enabled: boolean;
  readonly provider?: Candidate | undefined;
  readonly providers: readonly Candidate[];
  readonly definition?: PluginDefinition | undefined;
  /** The validated section. */
  readonly config?: unknown;
  /** Why the provider's code could not be loaded. */
  readonly loadError?: SugarError | undefined;
  /** The section's text, to notice changes on reload. */
  readonly sectionKey: string;
  /** Runs in a child process of its own (`[providers] isolate`). */
  readonly isolated?: boolean;
}

export interface PluginStatus {
  readonly service: string;
  readonly packageName: string | null;
  readonly version: string | null;
  readonly enabled: boolean;
  readonly state: PluginState;
  readonly dependsOn: readonly string[];
  readonly error: { readonly code: string; readonly message: string } | null;
  /** When it reached `running`, epoch ms. */
  readonly since: number | null;
  /** Extra ports it listens on. */
  readonly listeners: readonly { name: string; address: string; port: number }[];
  /** Feeds it mirrors, with their freshness. */
  readonly feeds: readonly FeedState[];
  /** What the plugin reports about itself (`ctx.reportStatus`). */
  readonly details: StatusDetails | null;
  /** Runs in a process of its own (`[providers] isolate`). */
  readonly isolated: boolean;
  /** That process's pid, while it runs. */
  readonly pid: number | null;
}

export interface HostTimeouts {
  startMs: number;
  stopMs: number;
  /** The first wait before restarting a plugin that crashed; doubled for each crash in a row, up to 64 times. */
  restartBackoffMs: number;
  /** How long an isolated plugin's process may leave a ping unanswered before it counts as crashed. */
  unresponsiveMs: number;
}

interface Entry {
  planned: PlannedService;
  state: PluginState;
  /** Crashes in a row (reset once it ran for a while), and the restart waiting for its turn. */
  crashes?: number;
  restart?: NodeJS.Timeout | undefined;
  error?: SugarError | undefined;
  since?: number | undefined;
  /** An isolated plugin's runtime outlives a crash of its process: it keeps the plugin's ports and routes until the restart. */
  runtime?: PluginRuntime | IsolatedRuntime | undefined;
}

export class PluginHost {
  private readonly realDirs = new Map<string, string>();
  private readonly entries = new Map<string, Entry>();
  /** Services in the order they reached `running`. */
  private startOrder: string[] = [];
  /** Services `apply` is bringing up: their paths answer 503, not 404, until they run. */
  private coming = new Set<string>();
  /** Bumped on every state change; lets /status cache its answer. */
  generation = 0;

  constructor(
    private readonly log: Logger,
    private readonly runtimeDeps: RuntimeDeps,
    public timeouts: HostTimeouts,
  ) {}

  list(): PluginStatus[] {
    return [...this.entries.values()].map(({ planned, state, error, since, runtime }) => ({
      service: planned.service,
      packageName: planned.provider?.packageName ?? null,
      version: planned.provider?.version ?? null,
      enabled: planned.enabled,
      state,
      dependsOn: planned.provider?.dependsOn ?? [],
      error: error ? { code: error.code, message: error.message } : null,
      since: since ?? null,
      listeners: runtime?.listeners() ?? [],
      feeds: runtime?.feeds() ?? [],
      details: runtime?.details() ?? null,
      isolated: planned.isolated === true,
      pid: runtime instanceof IsolatedRuntime ? runtime.pid : null,
    }));
  }

  /** The state of `service`'s plugin, without building its status (which asks the plugin for its details). */
  stateOf(service: string): PluginState | undefined {
    return this.entries.get(service)?.state;
  }

  /**
   * The service that will serve `path` once it has started: one that `apply`
   * is starting (or restarting) and whose declared routes cover the path.
   */
  startingOwner(path: string): string | undefined {
    for (const service of this.coming) {
      const entry = this.entries.get(service);
      if (entry?.state === 'running' || entry?.state === 'failed' || entry?.state === 'blocked') continue;
      const routes = entry?.planned.provider?.routes ?? [];
      if (routes.some((route) => (route.endsWith('/') ? path.startsWith(route) : path === route))) return service;
    }
    return undefined;
  }

  /** Move to `plan`: stop what is off or changed (and its dependants), then start what should run. */
  async apply(plan: readonly PlannedService[]): Promise<void> {
    const wanted = new Map(plan.filter((p) => p.enabled && p.provider).map((p) => [p.service, p]));
    // Those already running are skipped by startingOwner until they stop to restart.
    this.coming = new Set(wanted.keys());
    for (const entry of this.entries.values()) if (entry.runtime instanceof IsolatedRuntime) entry.runtime.sync();
    try {
      await this.applyNow(plan, wanted);
    } finally {
      this.coming = new Set();
    }
  }

  private async applyNow(plan: readonly PlannedService[], wanted: ReadonlyMap<string, PlannedService>): Promise<void> {
    const toStop = new Set<string>();
    for (const [service, entry] of this.entries) {
      if (!entry.runtime) continue;
      const next = wanted.get(service);
      const moved = next?.provider?.dir !== entry.planned.provider?.dir || next?.isolated !== entry.planned.isolated;
      if (!next || moved || next.sectionKey !== entry.planned.sectionKey) toStop.add(service);
    }
    for (let grew = true; grew; ) {
      grew = false;
      for (const [service, entry] of this.entries) {
        if (entry.runtime && !toStop.has(service) && entry.planned.provider?.dependsOn.some((dep) => toStop.has(dep))) {
          toStop.add(service);
          grew = true;
        }
      }
    }
    for (const service of [...this.startOrder].reverse()) if (toStop.has(service)) await this.stopOne(service);

    const planned = new Set(plan.map((p) => p.service));
    for (const service of [...this.entries.keys()]) if (!planned.has(service)) this.entries.delete(service);
    for (const p of plan) {
      const entry = this.entries.get(p.service);
      if (entry?.runtime) continue;
      this.entries.set(p.service, { planned: p, state: p.enabled ? 'stopped' : 'disabled' });
    }
    this.generation++;

    const { order, cycles } = orderServices(new Map([...wanted].map(([service, p]) => [service, p.provider!.dependsOn])));
    for (const service of wanted.keys()) {
      const cycle = cycles.get(service);
      if (cycle) this.settle(service, 'failed', ServerErrors.PLUGIN_BLOCKED(service, `dependency cycle ${cycle}`));
    }
    for (const service of order) await this.startOne(service);
    for (const service of wanted.keys()) {
      const entry = this.entries.get(service)!;
      if (entry.state === 'stopped') this.settle(service, 'blocked', ServerErrors.PLUGIN_BLOCKED(service, 'a service it depends on is in a dependency cycle'));
    }
  }

  /** Real package folders of the plugins running in this process, for charging a stack to one. */
  pluginFolders(): Map<string, string> {
    const folders = new Map<string, string>();
    for (const [service, entry] of this.entries) {
      const dir = entry.planned.provider?.dir;
      if (!dir || entry.planned.isolated || !entry.runtime) continue;
      let real = this.realDirs.get(dir);
      if (real === undefined) {
        real = existsSync(dir) ? realpathSync(dir) : dir;
        this.realDirs.set(dir, real);
      }
      folders.set(real, service);
    }
    return folders;
  }

  /**
   * `err` escaped from `service`'s own work (a timer, an event handler, a
   * promise chain): mark it failed, close what it holds, and start it again
   * after a back-off that doubles with each crash in a row. Every other plugin
   * keeps serving. False when the service is not running (nothing to isolate).
   */
  crashed(service: string, err: unknown): boolean {
    const entry = this.entries.get(service);
    const runtime = entry?.runtime;
    if (!entry || !runtime || entry.state !== 'running') return false;
    const ranMs = Date.now() - (entry.since ?? Date.now());
    const backoff = this.timeouts.restartBackoffMs;
    // A plugin that ran well past its back-off before crashing starts the count again.
    entry.crashes = ranMs > backoff * 2 ** Math.min(entry.crashes ?? 0, 6) * 4 ? 1 : (entry.crashes ?? 0) + 1;
    const waitMs = backoff * 2 ** Math.min(entry.crashes - 1, 6);
    entry.since = undefined;
    const error = withCause(ServerErrors.PLUGIN_CRASHED(service, messageOf(err), waitMs), err);
    this.settle(service, 'failed', error);
    this.log.error({ plugin: service, err, restartInMs: waitMs, crashes: entry.crashes }, error.message);
    // An isolated plugin's runtime stays (and in the stop order): its ports and routes answer 503 until the restart.
    if (runtime instanceof IsolatedRuntime) runtime.markDown(error);
    else {
      entry.runtime = undefined;
      this.startOrder = this.startOrder.filter((name) => name !== service);
      void runtime.release();
    }
    entry.restart = setTimeout(() => {
      entry.restart = undefined;
      if (this.entries.get(service) === entry && entry.state === 'failed') void this.startOne(service);
    }, waitMs);
    entry.restart.unref();
    return true;
  }

  async stopAll(): Promise<void> {
    for (const entry of this.entries.values()) clearTimeout(entry.restart);
    for (const service of [...this.startOrder].reverse()) await this.stopOne(service);
  }

  private async startOne(service: string): Promise<void> {
    const entry = this.entries.get(service)!;
    // A runtime kept from a crash (an isolated plugin's) starts again; any other is running or on its way.
    if (entry.runtime && (entry.state !== 'failed' || !(entry.runtime instanceof IsolatedRuntime))) return;
    const { planned } = entry;

    for (const dep of planned.provider!.dependsOn) {
      const state = this.entries.get(dep)?.state;
      if (state !== 'running') {
        const why = state === undefined ? `it needs service "${dep}", which no installed plugin provides`
          : state === 'disabled' ? `it needs service "${dep}", which is switched off`
          : `it needs service "${dep}", which is ${state}`;
        this.settle(service, 'blocked', ServerErrors.PLUGIN_BLOCKED(service, why));
        return;
      }
    }
    if (planned.loadError || !planned.definition) {
      this.settle(service, 'failed', planned.loadError ?? ServerErrors.PLUGIN_INVALID(planned.provider!.packageName, 'not loaded'));
      return;
    }

    const definition = planned.definition;
    const runtime = entry.runtime ?? this.runtimeFor(planned);
    entry.runtime = runtime;
    this.settle(service, 'starting');
    const ms = this.timeouts.startMs;
    try {
      await runtime.prepare();
      const start = runtime instanceof IsolatedRuntime
        ? () => runtime.start()
        : () => runAs(service, () => this.runtimeDeps.watchdog.time(service, 'start', () => definition.start(runtime.ctx)));
      // Opening the plugin's store grows with the deployment (seconds for half a million laptops), so it is not held against the plugin.
      await withTimeoutExcept(Promise.resolve().then(start), ms, () => ServerErrors.PLUGIN_TIMEOUT(service, 'start', ms), () => runtime.openingStore);
      runtime.mount();
      entry.since = Date.now();
      if (!this.startOrder.includes(service)) this.startOrder.push(service);
      this.settle(service, 'running');
      this.log.info({ plugin: service, package: planned.provider!.packageName, version: planned.provider!.version }, `${service} running`);
    } catch (err) {
      entry.runtime = undefined;
      this.startOrder = this.startOrder.filter((name) => name !== service);
      await runtime.release();
      const error = isSugarError(err) ? err : withCause(ServerErrors.PLUGIN_START(service, messageOf(err)), err);
      this.settle(service, 'failed', error);
      this.log.error({ plugin: service, err }, error.message);
    }
  }

  private async stopOne(service: string): Promise<void> {
    const entry = this.entries.get(service);
    const runtime = entry?.runtime;
    if (!entry || !runtime) return;
    this.settle(service, 'stopping');
    const ms = this.timeouts.stopMs;
    const stop = entry.planned.definition?.stop;
    try {
      if (runtime instanceof IsolatedRuntime) await runtime.stop(ms);
      else if (stop) {
        const timedStop = () => runAs(service, () => this.runtimeDeps.watchdog.time(service, 'stop', () => stop(runtime.ctx)));
        await withTimeout(Promise.resolve().then(timedStop), ms, () => ServerErrors.PLUGIN_TIMEOUT(service, 'stop', ms));
      }
    } catch (err) {
      this.log.error({ plugin: service, err }, `${service} did not stop cleanly; its ports and routes are closed anyway`);
    } finally {
      await runtime.release();
      entry.runtime = undefined;
      entry.since = undefined;
      this.startOrder = this.startOrder.filter((name) => name !== service);
      this.settle(service, entry.planned.enabled ? 'stopped' : 'disabled');
      this.log.info({ plugin: service }, `${service} stopped`);
    }
  }

  private runtimeFor(planned: PlannedService): PluginRuntime | IsolatedRuntime {
    const { service } = planned;
    if (!planned.isolated) return new PluginRuntime(this.runtimeDeps, planned.provider!, planned.config);
    return new IsolatedRuntime(this.runtimeDeps, planned.provider!, planned.config, {
      crashed: (reason) => this.crashed(service, reason),
      timeouts: () => ({ unresponsiveMs: this.timeouts.unresponsiveMs, startMs: this.timeouts.startMs }),
    });
  }

  private settle(service: string, state: PluginState, error?: SugarError): void {
    const entry = this.entries.get(service)!;
    entry.state = state;
    entry.error = error;
    this.generation++;
    if (error && state === 'blocked') this.log.warn({ plugin: service, code: error.code }, error.message);
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
