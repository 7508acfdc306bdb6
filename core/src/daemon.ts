/**
 * The daemon: wires the subsystems and owns boot, reload and shutdown order.
 *
 * Boot: plan (config, discovery, plugin code, sections; refuse on any problem),
 * lock the data folder, admin token, HTTP, plugins, mDNS, pid file.
 * Reload (SIGHUP): plan again; a refused plan changes nothing.
 * Shutdown (SIGTERM): stop accepting, drain, stop plugins in reverse order.
 */
import { mkdir } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from 'koa';
import type { DependencyContainer } from 'tsyringe';
import { adminGuard, coreAdminRouter, ensureAdminToken, hasAdminToken, readAdminToken } from './admin.js';
import { AdminConsole } from './admin-console/console.js';
import { fleetPage } from './admin-console/fleet-page.js';
import { Overview } from './admin-console/overview.js';
import { PageDirectory } from './admin-console/pages.js';
import type { CoreConfig } from './config/schema.js';
import { removeRunFiles, writeRunFiles } from './control.js';
import { createRootContainer } from './di.js';
import { ServerErrors } from './errors.js';
import { DeploymentFeeds, readFeedKeys, type FeedKeys } from './deployment-feeds.js';
import { DeploymentFleet } from './deployment-fleet.js';
import { UPSTREAM_DROP_IN } from './feeds/index.js';
import { MainHttpServer } from './http/server.js';
import { urlFor } from './listeners.js';
import { DataDirLock } from './lock.js';
import { createLogger, RecentLog, type Logger } from './log.js';
import { Maintenance, maintenanceRouter } from './maintenance.js';
import { Announcer } from './mdns.js';
import { Metrics, metricsRoute } from './metrics.js';
import { adminTokenFile, maintenanceFile, type Paths } from './paths.js';
import { PLUGIN_API_VERSION } from './plugins/definition.js';
import { attributeAsyncWork, currentPlugin, pluginInStack } from './plugins/ownership.js';
import { PluginHost } from './plugins/host.js';
import { Watchdog } from './plugins/watchdog.js';
import { makePlan, type Plan } from './plugins/plan.js';
import { ServiceDirectory } from './plugins/services.js';
import { SystemdNotifier } from './systemd-notify.js';
import { checkStoreFormats } from './storage/format.js';
import { StatusBoard, statusRoute, type ConfigInfo, type ServerState, type StatusDocument } from './status.js';
import { Tokens } from './tokens.js';
import { systemClock } from './clock.js';

export const SERVER_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** The plugins released with this server, tested by its campaigns: they need no async context to be told apart. */
const DISTRIBUTED_PLUGINS: ReadonlySet<string> = new Set([
  'sugar-server-activities',
  'sugar-server-backup',
  'sugar-server-blacklists',
  'sugar-server-leases',
  'sugar-server-registry',
]);

export class Daemon {
  private state: ServerState = 'starting';
  private configInfo: ConfigInfo;
  private reloading: Promise<boolean> = Promise.resolve(true);
  private stopping: Promise<void> | undefined;
  /** The admin token the guard checks; a reload may replace it. */
  private readonly credential: { token: string };
  private readonly announcer: Announcer;
  private readonly http: MainHttpServer;
  private readonly feeds: DeploymentFeeds;
  private readonly fleet: DeploymentFleet;
  private readonly notifier: SystemdNotifier;
  private readonly adminConsole: AdminConsole;
  readonly host: PluginHost;
  readonly container: DependencyContainer;

  /** Builds every part and wires them; nothing listens or runs until {@link run}. */
  private constructor(
    readonly paths: Paths,
    private plan: Plan,
    readonly log: Logger,
    recentLog: RecentLog,
    private readonly lock: DataDirLock,
    adminToken: string,
    private feedKeys: FeedKeys,
    readonly maintenance: Maintenance,
    readonly startedAt: number,
  ) {
    const core = plan.core;
    this.configInfo = { generation: 1, loadedAt: startedAt, lastError: null };
    this.credential = { token: adminToken };
    this.announcer = new Announcer(log);
    this.notifier = SystemdNotifier.fromEnvironment(log);
    this.container = createRootContainer();
    const metrics = new Metrics();
    const feeds = new DeploymentFeeds(paths, log, {
      check: async (text, label) => {
        const planned = await makePlan(paths, { name: UPSTREAM_DROP_IN, text, label });
        return planned.ok ? [] : planned.problems;
      },
      reload: () => this.reload(),
    });
    this.feeds = feeds;
    const gate = (ctx: Context) => maintenance.check(ctx, (request) => hasAdminToken(request, this.credential.token));
    this.http = new MainHttpServer({ log, metrics, owner: 'core', bodyLimit: core.http.body_limit, gate });
    const requireAdmin = adminGuard(() => this.credential.token);
    const adminPages = new PageDirectory();
    this.host = new PluginHost(
      log,
      {
        log,
        metrics,
        container: this.container,
        services: new ServiceDirectory(this.container),
        feeds: feeds.publisher,
        mirrors: feeds.mirrors,
        feedTrust: feeds.trust,
        http: this.http,
        requireAdmin,
        adminToken: () => this.credential.token,
        dataDir: paths.data,
        etcDir: paths.etc,
        defaultAddress: core.http.address,
        bodyLimit: core.http.body_limit,
        drainMs: core.core.drain_timeout,
        watchdog: new Watchdog(log, metrics),
        gate,
        adminPages,
      },
      hostTimeouts(core),
    );
    const host = this.host;
    metrics.watchPlugins(() => host.list().map((p) => ({ service: p.service, packageName: p.packageName ?? '', state: p.state })));
    metrics.watchFeeds(() => feeds.samples(() => host.list()));
    metrics.watchMaintenance(() => maintenance.on);
    this.fleet = new DeploymentFleet(paths, log, {
      version: SERVER_VERSION,
      startedAt,
      publisher: feeds.publisher,
      mirrors: feeds.mirrors,
      plugins: () => host.list(),
      feeds: () => feeds.samples(() => host.list()),
    }, core);
    const fleet = this.fleet;
    metrics.watchFleet(() => fleet.samples());
    // `fleet` is a core section, so no plugin can take this page's path.
    adminPages.addCore('fleet', fleetPage(() => fleet.view()), () => fleet.summary().schools > 0);
    const board = new StatusBoard({
      version: SERVER_VERSION,
      api: PLUGIN_API_VERSION,
      startedAt,
      state: () => this.state,
      host,
      config: () => this.configInfo,
      discovery: () => ({ discovery: this.plan.discovery, selection: this.plan.selection }),
      eventLoopLag: () => metrics.eventLoopLag(),
      feeds: () => feeds.summary(),
      feedsRevision: () => feeds.mirrors.revision(),
      maintenance: () => maintenance.state(),
      fleet: () => fleet.summary(),
    });
    this.http.serveCore('/status', statusRoute(board));
    const overview = new Overview({
      paths,
      log,
      maintenance,
      pages: adminPages,
      // The document /status serves, cached for a second: building it asks every plugin for its details.
      status: () => JSON.parse(board.body().toString('utf8')) as StatusDocument,
      mainUrl: () => this.url,
      console: () => this.adminConsole.address,
      mdns: () => this.plan.core.mdns,
      reload: () => this.reload(),
    });
    this.adminConsole = new AdminConsole({
      log,
      metrics,
      etcDir: paths.etc,
      dataDir: paths.data,
      pages: adminPages,
      adminToken: () => this.credential.token,
      core: overview,
      running: (service) => host.stateOf(service) === 'running',
    }, core.admin);
    this.http.serveCore('/metrics', metricsRoute(metrics));
    // ':' cannot start a service name, so no plugin's router can take these slots.
    this.http.mount(':feeds', feeds.publisher.router);
    this.http.mount(':core', coreAdminRouter(requireAdmin, recentLog));
    this.http.mount(':core-feeds', feeds.adminRouter(requireAdmin));
    this.http.mount(':core-maintenance', maintenanceRouter(requireAdmin, maintenance, log));
    this.http.mount(':fleet', fleet.router(requireAdmin));
    this.http.answerWhileStarting((path) => host.startingOwner(path));
    this.container.register(Tokens.Config, { useFactory: () => this.plan.core });
    this.container.register(Tokens.Logger, { useValue: log });
    this.container.register(Tokens.Paths, { useValue: paths });
    this.container.register(Tokens.Metrics, { useValue: metrics });
    this.container.register(Tokens.Clock, { useValue: systemClock() });
  }

  /** Open the daemon for `paths` and run it: what `sugar-server start` does. */
  static async start(paths: Paths): Promise<Daemon> {
    const daemon = await Daemon.open(paths);
    await daemon.run();
    return daemon;
  }

  /**
   * What must hold before anything is built: a plan the configuration and the
   * installed plugins allow, the data folder locked for this process, the
   * admin token.
   */
  static async open(paths: Paths): Promise<Daemon> {
    const startedAt = Date.now();
    const planned = await makePlan(paths);
    if (!planned.ok) throw ServerErrors.CONFIG([...planned.problems]);
    const plan = planned.plan;
    const recentLog = new RecentLog();
    const log = createLogger(plan.core.log.level, {}, recentLog);
    log.info({ version: SERVER_VERSION, root: paths.root, files: plan.files }, 'sugar-server starting');
    for (const rejected of plan.discovery.rejected) log.warn({ package: rejected.packageName, dir: rejected.dir }, `plugin skipped: ${rejected.reason}`);

    await mkdir(paths.data, { recursive: true, mode: 0o750 });
    await mkdir(paths.etc, { recursive: true });
    // A downgrade is refused whole, before any plugin or store is touched.
    await checkStoreFormats(join(paths.data, 'stores'));
    const feedKeys = await readFeedKeys(plan.core.feeds);
    const maintenance = await Maintenance.load(maintenanceFile(paths));
    if (maintenance.on) log.warn({ maintenance: maintenance.state() }, 'starting in maintenance mode: laptop-facing HTTP answers 503 until `sugar-server maintenance off`');
    const lock = await DataDirLock.acquire(paths.data);
    try {
      const adminToken = await ensureAdminToken(adminTokenFile(paths));
      return new Daemon(paths, plan, log, recentLog, lock, adminToken, feedKeys, maintenance, startedAt);
    } catch (err) {
      await lock.release();
      throw err;
    }
  }

  /** Where the main HTTP server listens, once {@link run} bound it. */
  get url(): string {
    const bound = this.http.address;
    return bound ? urlFor(bound.address, bound.port) : '';
  }

  /** Listen, start the plugins, announce, record the pid and URL. */
  async run(): Promise<void> {
    const { http } = this.plan.core;
    try {
      await this.http.listen(http.port, http.address);
      this.log.info({ url: this.url }, `HTTP listening at ${this.url}; starting plugins`);
      await this.feeds.apply(this.feedKeys, this.plan.core.feeds);
      this.chooseAttribution(this.plan);
      await this.host.apply(this.plan.services);
      await this.fleet.apply(this.plan.core);
      // After the plugins: the laptops' services come first, and their pages are there when the console opens.
      await this.adminConsole.start(http.address);
      this.announce();
      await writeRunFiles(this.paths, this.url, this.adminConsole.address);
      this.state = 'running';
      this.log.info({ url: this.url }, `sugar-server ready at ${this.url}`);
      void this.notifier.ready(this.readiness());
      this.notifier.startWatchdog();
    } catch (err) {
      await this.http.close(0);
      await this.adminConsole.close(0);
      await this.lock.release();
      throw err;
    }
  }

  /**
   * An error nothing caught: when it escaped from a plugin's own work, that
   * plugin is failed and restarted later (true); otherwise it is the daemon's,
   * and the process must end (false).
   */
  isolate(err: unknown): boolean {
    const plugin = currentPlugin() ?? pluginInStack(err, this.host.pluginFolders());
    return plugin !== undefined && this.host.crashed(plugin, err);
  }

  /** Re-read everything; apply only if the new configuration is sound. Resolves false when refused. */
  reload(): Promise<boolean> {
    this.reloading = this.reloading.then(() =>
      this.reloadNow().catch((err: unknown) => {
        this.configInfo = { ...this.configInfo, lastError: `reload failed: ${(err as Error).message}` };
        this.log.error({ err }, 'reload failed; still running what could be kept');
        return false;
      }));
    return this.reloading;
  }

  private async reloadNow(): Promise<boolean> {
    if (this.stopping) return false;
    this.state = 'reloading';
    void this.notifier.reloading();
    try {
      const planned = await makePlan(this.paths);
      if (!planned.ok) {
        this.configInfo = { ...this.configInfo, lastError: planned.problems.join('\n') };
        this.log.error({ problems: planned.problems }, 'new configuration refused; still running the previous one');
        return false;
      }
      const next = planned.plan;
      let feedKeys: FeedKeys;
      try {
        feedKeys = await readFeedKeys(next.core.feeds);
      } catch (err) {
        this.configInfo = { ...this.configInfo, lastError: (err as Error).message };
        this.log.error({ err }, 'new configuration refused; still running the previous one');
        return false;
      }
      this.warnAboutRestartOnly(this.plan.core, next.core);
      this.log.level = next.core.log.level;
      this.adminConsole.reconfigure(next.core.admin);
      this.host.timeouts = hostTimeouts(next.core);
      this.plan = next;
      this.feedKeys = feedKeys;
      await this.feeds.apply(feedKeys, next.core.feeds);
      this.chooseAttribution(next);
      this.credential.token = await readAdminToken(adminTokenFile(this.paths)).catch(() => this.credential.token);
      await this.host.apply(next.services);
      await this.fleet.apply(next.core);
      this.configInfo = { generation: this.configInfo.generation + 1, loadedAt: Date.now(), lastError: null };
      this.announce();
      this.log.info({ generation: this.configInfo.generation, files: next.files }, 'configuration reloaded');
      return true;
    } finally {
      if (!this.stopping) {
        this.state = 'running';
        void this.notifier.ready(this.readiness());
      }
    }
  }

  /** Stop accepting, drain in-flight requests (bounded), stop plugins in reverse order. */
  shutdown(reason: string): Promise<void> {
    this.stopping ??= (async () => {
      this.state = 'stopping';
      const told = this.notifier.stopping();
      this.log.info({ reason }, 'sugar-server stopping');
      const drainMs = this.plan.core.core.drain_timeout;
      await this.announcer.close().catch((err) => this.log.warn({ err }, 'mDNS goodbye failed'));
      await Promise.all([this.http.close(drainMs), this.adminConsole.close(drainMs)]);
      await this.fleet.stop();
      this.feeds.stop();
      await this.host.stopAll();
      await removeRunFiles(this.paths);
      await this.lock.release();
      await told;
      this.log.info('sugar-server stopped');
    })();
    return this.stopping;
  }

  /**
   * Async attribution (see plugins/ownership.ts) before plugins start, so the
   * work they schedule in `start` carries their context: in `auto`, only while
   * a plugin from outside this distribution runs in this process.
   */
  private chooseAttribution(plan: Plan): void {
    const mode = plan.core.core.async_attribution;
    const outsiders = plan.services
      .filter((s) => s.enabled && s.provider && !s.isolated && !DISTRIBUTED_PLUGINS.has(s.provider.packageName))
      .map((s) => s.provider!.packageName);
    const on = mode === 'on' || (mode === 'auto' && outsiders.length > 0);
    attributeAsyncWork(on);
    this.log.info({ asyncAttribution: on, mode, outsiders }, on
      ? 'stray async errors are charged to their plugin by async context'
      : 'stray errors are charged to their plugin by stack frame (no plugin from outside this distribution runs here)');
  }

  /** The manager's one-line STATUS=: what `systemctl status` shows. */
  private readiness(): string {
    const plugins = this.host.list();
    const failed = plugins.filter((p) => p.state === 'failed' || p.state === 'blocked').map((p) => p.service);
    const running = plugins.filter((p) => p.state === 'running').length;
    return `ready at ${this.url}: ${running} plugin(s) running` + (failed.length ? `, failed: ${failed.join(', ')}` : '');
  }

  private announce(): void {
    const mdns = this.plan.core.mdns;
    if (!mdns.enabled) {
      void this.announcer.close();
      return;
    }
    const services = this.host.list().filter((p) => p.state === 'running').map((p) => p.service);
    this.announcer.announce({ name: mdns.name, port: this.http.address!.port, version: SERVER_VERSION, services });
  }

  private warnAboutRestartOnly(before: CoreConfig, after: CoreConfig): void {
    const changed: string[] = (['address', 'port', 'body_limit'] as const).filter((key) => before.http[key] !== after.http[key]);
    if (before.core.drain_timeout !== after.core.drain_timeout) changed.push('drain_timeout');
    if (changed.length) this.log.warn({ keys: changed }, `changes to ${changed.join(', ')} take effect after a restart`);
  }
}

function hostTimeouts(core: CoreConfig) {
  return {
    startMs: core.core.start_timeout,
    stopMs: core.core.stop_timeout,
    restartBackoffMs: core.core.restart_backoff,
    unresponsiveMs: core.core.isolate_timeout,
  };
}
