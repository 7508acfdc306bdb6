/**
 * Builds what a running plugin is handed, and owns every resource the plugin
 * opens through it, so stopping (or giving up on) a plugin releases them all.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import type { Context, Middleware } from 'koa';
import type { DependencyContainer, InjectionToken } from 'tsyringe';
import type { PageDirectory } from '../admin-console/pages.js';
import { ServerErrors } from '../errors.js';
import { MirroredFeed, type FeedMirror, type FeedPublisher, type FeedState, type MirrorRegistry, type MirrorSpec, type PublishSpec, type TrustRoots } from '../feeds/index.js';
import { createApp } from '../http/app.js';
import { MainHttpServer } from '../http/server.js';
import { OwnedPort } from '../listeners.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { Tokens, type Clock } from '../tokens.js';
import { JsonStore, logOpened, type DocumentVersion, type Store } from '../storage.js';
import type { BoundListener, HttpListener, ListenSpec, PluginContext, StatusDetails } from './definition.js';
import type { Candidate } from './manifest.js';
import type { ServiceDirectory } from './services.js';
import type { Watchdog } from './watchdog.js';

export interface RuntimeDeps {
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly container: DependencyContainer;
  readonly services: ServiceDirectory;
  readonly feeds: FeedPublisher;
  /** Every running mirror, so a disk import reaches the plugins' feeds. */
  readonly mirrors: MirrorRegistry;
  /** The deployment's root keys now (`[feeds] trusted_keys`), or null. */
  readonly feedTrust: () => TrustRoots;
  readonly http: MainHttpServer;
  readonly requireAdmin: Middleware;
  /** The admin token `requireAdmin` checks now, for plugins in a process of their own. */
  readonly adminToken?: () => string;
  readonly dataDir: string;
  readonly etcDir: string;
  readonly defaultAddress: string;
  readonly bodyLimit: number;
  readonly drainMs: number;
  readonly watchdog: Watchdog;
  /** Asked before every request on the plugin's own HTTP ports too (maintenance mode). */
  readonly gate?: (ctx: Context) => void;
  /** The admin console's pages; a plugin's are withdrawn when it stops. */
  readonly adminPages?: PageDirectory;
}

export class PluginRuntime {
  readonly ctx: PluginContext;
  private readonly abort = new AbortController();
  private readonly ports: { name: string; port: OwnedPort }[] = [];
  private readonly mirrors: MirroredFeed[] = [];
  private statusSource: (() => StatusDetails) | undefined;
  private readonly child: DependencyContainer;
  private store: Promise<JsonStore<unknown>> | undefined;
  private storeOpened = false;
  private released = false;

  constructor(
    private readonly deps: RuntimeDeps,
    candidate: Candidate,
    config: unknown,
  ) {
    const service = candidate.service;
    const log = deps.log.child({ plugin: service });
    this.child = deps.container.createChildContainer();
    const router = MainHttpServer.routerFor(service, deps.watchdog);
    const dataDir = join(deps.dataDir, service);
    const storeFile = join(deps.dataDir, 'stores', `${service}.json`);
    const clock = clockOf(deps.container);

    this.ctx = {
      service,
      packageName: candidate.packageName,
      version: candidate.version,
      config: config as Readonly<unknown>,
      log,
      container: this.child,
      clock,
      services: { get: (token) => deps.services.get(token) },
      router,
      dataDir,
      etcDir: deps.etcDir,
      signal: this.abort.signal,
      requireAdmin: deps.requireAdmin,
      openStore: <T>(defaults: T, document?: DocumentVersion): Promise<Store<T>> => {
        this.assertOpen();
        const writer = { name: candidate.packageName, version: candidate.version };
        this.store ??= JsonStore.open<unknown>(storeFile, defaults, { document, writer }).then((store) => {
          this.storeOpened = true;
          logOpened(log, store.opened);
          return store;
        });
        return this.store as Promise<Store<T>>;
      },
      listenTcp: (spec: ListenSpec, onConnection: (socket: Socket) => void) =>
        this.open(spec, OwnedPort.tcp(`${service}/${spec.name}`, log, (socket) =>
          deps.watchdog.time(service, 'connection', () => onConnection(socket), () => ({ listener: spec.name })), candidate.packageName, { pauseOnConnect: spec.pauseOnConnect === true })),
      listenHttp: async (spec: ListenSpec): Promise<HttpListener> => {
        const app = createApp({ log, metrics: deps.metrics, owner: service, bodyLimit: deps.bodyLimit, gate: deps.gate });
        const portRouter = MainHttpServer.routerFor(service, deps.watchdog);
        app.use(portRouter.routes()).use(portRouter.allowedMethods());
        const bound = await this.open(spec, OwnedPort.http(`${service}/${spec.name}`, app, candidate.packageName));
        return { ...bound, router: portRouter };
      },
      provide: <T>(token: InjectionToken<T>, value: T) => {
        this.assertOpen();
        deps.services.provide(service, token, value);
      },
      mirrorFeed: (spec: MirrorSpec): FeedMirror => {
        this.assertOpen();
        const mirror = new MirroredFeed(spec, dataDir, log, this.abort.signal, { roots: deps.feedTrust, now: () => clock.now() });
        this.mirrors.push(mirror);
        deps.mirrors.add(mirror);
        mirror.start().catch((err: unknown) => log.error({ err, feed: spec.name }, 'feed mirror could not start'));
        return mirror;
      },
      publishFeed: (spec: PublishSpec) => {
        this.assertOpen();
        deps.feeds.publish(service, spec);
      },
      reportStatus: (source: () => StatusDetails) => {
        this.assertOpen();
        this.statusSource = source;
      },
      admin: {
        page: (spec) => {
          this.assertOpen();
          deps.adminPages?.for(service).page(spec);
        },
      },
    };
  }

  /** The extra ports this plugin holds, as bound. */
  listeners(): { name: string; address: string; port: number }[] {
    return this.ports.flatMap(({ name, port }) => (port.address ? [{ name, ...port.address }] : []));
  }

  /** The plugin's own summary for /status; a throwing source is reported, not thrown. */
  details(): StatusDetails | null {
    if (!this.statusSource) return null;
    try {
      return this.statusSource();
    } catch (err) {
      this.ctx.log.warn({ err }, 'status summary failed');
      return { error: 'status summary failed' };
    }
  }

  /** How fresh each mirrored feed is. */
  feeds(): FeedState[] {
    return this.mirrors.map((mirror) => mirror.state());
  }

  /** Prepare the data folder before the plugin's start runs. */
  async prepare(): Promise<void> {
    await mkdir(this.ctx.dataDir, { recursive: true, mode: 0o750 });
  }

  /** Serve the plugin's main-server routes (after its start succeeded). */
  mount(): void {
    if (!this.released) this.deps.http.mount(this.ctx.service, this.ctx.router, `${this.ctx.service} (${this.ctx.packageName})`);
  }

  /** While the plugin's store is being opened: its size follows the deployment's, not the plugin's code. */
  get openingStore(): Promise<unknown> | undefined {
    return this.store && !this.storeOpened ? this.store.catch(() => {}) : undefined;
  }

  /** Abort, unmount, close ports, withdraw services, flush and close the store, dispose the container. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    this.abort.abort();
    this.deps.http.unmount(this.ctx.service);
    this.deps.services.withdraw(this.ctx.service);
    this.deps.adminPages?.withdraw(this.ctx.service);
    this.deps.feeds.withdraw(this.ctx.service);
    for (const mirror of this.mirrors) {
      mirror.stop();
      this.deps.mirrors.remove(mirror);
    }
    await Promise.allSettled(this.ports.map(({ port }) => port.close(this.deps.drainMs)));
    if (this.store) await (await this.store.catch(() => undefined))?.close().catch(() => {});
    await this.child.dispose();
  }

  private async open(spec: ListenSpec, port: OwnedPort): Promise<BoundListener> {
    this.assertOpen();
    const bound = await port.listen(spec.port, spec.address ?? this.deps.defaultAddress);
    if (this.released) {
      await port.close(0);
      throw ServerErrors.SERVICE_UNAVAILABLE(this.ctx.service);
    }
    this.ports.push({ name: spec.name, port });
    this.ctx.log.info({ listener: spec.name, address: bound.address, port: bound.port }, `${spec.name} listening`);
    return bound;
  }

  private assertOpen(): void {
    if (this.released) throw ServerErrors.SERVICE_UNAVAILABLE(this.ctx.service);
  }
}

/** The core's registered clock; the system clock when none is (a runtime built outside the daemon). */
function clockOf(container: DependencyContainer): Clock {
  return container.isRegistered(Tokens.Clock, true) ? container.resolve(Tokens.Clock) : { now: () => Date.now() };
}
