/**
 * The plugin as it runs inside its own process: the PluginContext it is handed
 * and everything opened through it. The store, feed mirrors and koa apps are
 * real here; ports are bound by the core, which hands over each connection.
 */
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { unlink } from 'node:fs/promises';
import { Router } from '@koa/router';
import type { Middleware } from 'koa';
import type { DependencyContainer } from 'tsyringe';
import { adminGuard } from '../../admin.js';
import { systemClock } from '../../clock.js';
import { createRootContainer } from '../../di.js';
import { ServerErrors } from '../../errors.js';
import { createApp } from '../../http/app.js';
import type { Logger } from '../../log.js';
import { Metrics } from '../../metrics.js';
import { JsonStore, logOpened, type DocumentVersion, type Store } from '../../storage.js';
import { Tokens } from '../../tokens.js';
import type { FeedMirror, FeedState, PublishedFile, PublishSpec } from '../../feeds/index.js';
import type { BoundListener, HttpListener, ListenSpec, PluginContext, PluginDefinition, StatusDetails } from '../definition.js';
import type { ChildCall, ChildInit, RouteSpec } from './messages.js';

export interface ChildLinks {
  /** Ask the core (bind a port, publish a feed). */
  call<T>(call: ChildCall): Promise<T>;
  /** Tell the core the store is being opened (true) or open (false). */
  storeOpening(opening: boolean): void;
}

export class ChildPlugin {
  readonly ctx: PluginContext;
  private readonly abort = new AbortController();
  private readonly metrics = new Metrics();
  private readonly container: DependencyContainer;
  private readonly router = new Router();
  private readonly main: Server;
  private readonly sidePorts: Server[] = [];
  /** Connection handlers by listener id; the core names the id with each socket it hands over. */
  private readonly handlers = new Map<number, (socket: Socket) => void>();
  private readonly published = new Map<string, PublishSpec>();
  /** Feeds being published with the core; start is not done until each is accepted or refused. */
  private readonly publishing: Promise<unknown>[] = [];
  private statusSource: (() => StatusDetails) | undefined;
  private store: Promise<JsonStore<unknown>> | undefined;
  private nextListener = 1;
  private token: string;

  constructor(
    private readonly init: ChildInit,
    private readonly log: Logger,
    private readonly links: ChildLinks,
  ) {
    const { candidate } = init;
    const service = candidate.service;
    this.token = init.adminToken;
    this.container = createRootContainer();
    this.container.register(Tokens.Config, { useValue: init.coreConfig });
    this.container.register(Tokens.Logger, { useValue: log });
    this.container.register(Tokens.Paths, { useValue: init.paths });
    this.container.register(Tokens.Metrics, { useValue: this.metrics });
    const clock = systemClock();
    this.container.register(Tokens.Clock, { useValue: clock });

    const app = createApp({ log, metrics: this.metrics, owner: service, bodyLimit: init.bodyLimit, behindCore: true });
    app.use(this.router.routes()).use(this.router.allowedMethods());
    this.main = createServer(app.callback());
    // The core keeps its connections to this server open for reuse; only it can reach the socket.
    this.main.keepAliveTimeout = 0;

    const cannot = (what: string) => () => {
      throw ServerErrors.PLUGIN_ISOLATED(service, what);
    };
    this.ctx = {
      service,
      packageName: candidate.packageName,
      version: candidate.version,
      config: init.config as Readonly<unknown>,
      log,
      container: this.container.createChildContainer(),
      clock,
      // Offers of other plugins live in the core's process; none reaches this one.
      services: { get: () => undefined },
      router: this.router,
      dataDir: init.dataDir,
      etcDir: init.etcDir,
      signal: this.abort.signal,
      requireAdmin: adminGuard(() => this.token) as Middleware,
      openStore: <T>(defaults: T, document?: DocumentVersion) => this.openStore(defaults, document) as Promise<Store<T>>,
      listenTcp: (spec: ListenSpec, onConnection: (socket: Socket) => void) =>
        this.listen(spec, false, (socket) => {
          socket.on('error', (err) => log.debug({ err, listener: spec.name }, 'connection error'));
          try {
            onConnection(socket);
          } catch (err) {
            log.error({ err, listener: spec.name }, 'connection handler threw; connection closed');
            socket.destroy();
          }
        }),
      listenHttp: async (spec: ListenSpec): Promise<HttpListener> => {
        const portApp = createApp({ log, metrics: this.metrics, owner: service, bodyLimit: init.bodyLimit });
        const portRouter = new Router();
        portApp.use(portRouter.routes()).use(portRouter.allowedMethods());
        const server = createServer(portApp.callback());
        server.keepAliveTimeout = 5_000;
        this.sidePorts.push(server);
        const bound = await this.listen(spec, true, (socket) => server.emit('connection', socket));
        return { ...bound, router: portRouter };
      },
      provide: cannot('offer a service to other plugins (ctx.provide)'),
      // A mirror checks manifests against the deployment's root keys, which stay in the core's process.
      mirrorFeed: cannot('mirror a feed (ctx.mirrorFeed)') as () => FeedMirror,
      publishFeed: (spec: PublishSpec) => {
        this.published.set(spec.name, spec);
        const accepted = this.links.call({ what: 'publish', name: spec.name });
        accepted.catch((err: unknown) => log.error({ err, feed: spec.name }, 'feed could not be published'));
        this.publishing.push(accepted);
      },
      reportStatus: (source: () => StatusDetails) => {
        this.statusSource = source;
      },
      // The console renders pages in the core's process; an isolated plugin keeps working without its page.
      admin: { page: (spec) => log.info({ page: spec.route }, 'admin console page not shown: this plugin runs in a process of its own') },
    };
  }

  /** Run the plugin's start, then serve its routes to the core; resolves with them. */
  async start(definition: PluginDefinition): Promise<RouteSpec[]> {
    await definition.start(this.ctx);
    await Promise.all(this.publishing);
    await unlink(this.init.socketPath).catch(() => {});
    await new Promise<void>((resolve, reject) => {
      this.main.once('error', reject);
      this.main.listen(this.init.socketPath, () => resolve());
    });
    return this.router.stack
      .filter((layer) => layer.methods.length > 0)
      .map((layer) => ({ path: layer.path, methods: [...layer.methods] }));
  }

  /** The plugin's stop (bounded by the core, which kills this process past stop_timeout), then close what it opened. */
  async stop(definition: PluginDefinition): Promise<void> {
    try {
      await definition.stop?.(this.ctx);
    } catch (err) {
      this.log.error({ err }, `${this.init.candidate.service} did not stop cleanly; its ports and routes are closed anyway`);
    }
    this.abort.abort();
    await Promise.all([this.main, ...this.sidePorts].map((server) => closeServer(server, this.init.drainMs)));
    if (this.store) await (await this.store.catch(() => undefined))?.close().catch(() => {});
  }

  /** A connection the core accepted on one of this plugin's ports. */
  accept(listener: number, socket: Socket | undefined): void {
    const handler = this.handlers.get(listener);
    if (!socket) return;
    if (handler) handler(socket);
    else socket.destroy();
  }

  setToken(token: string): void {
    this.token = token;
  }

  details(): StatusDetails | null {
    if (!this.statusSource) return null;
    try {
      return this.statusSource();
    } catch (err) {
      this.log.warn({ err }, 'status summary failed');
      return { error: 'status summary failed' };
    }
  }

  feeds(): FeedState[] {
    return [];
  }

  /** The files of a feed this plugin publishes, for the core to serve. */
  async feedFiles(name: string): Promise<readonly PublishedFile[]> {
    const spec = this.published.get(name);
    if (!spec) throw ServerErrors.NOT_FOUND(`feed ${name}`);
    return spec.files();
  }

  private openStore(defaults: unknown, document: DocumentVersion | undefined): Promise<JsonStore<unknown>> {
    this.store ??= (async () => {
      this.links.storeOpening(true);
      try {
        const { packageName, version } = this.init.candidate;
        const store = await JsonStore.open<unknown>(this.init.storeFile, defaults, { document, writer: { name: packageName, version } });
        logOpened(this.log, store.opened);
        return store;
      } finally {
        this.links.storeOpening(false);
      }
    })();
    return this.store;
  }

  private async listen(spec: ListenSpec, http: boolean, handler: (socket: Socket) => void): Promise<BoundListener> {
    const listener = this.nextListener++;
    this.handlers.set(listener, handler);
    const bound = await this.links.call<BoundListener>({ what: 'listen', listener, spec, http });
    this.log.info({ listener: spec.name, address: bound.address, port: bound.port }, `${spec.name} listening`);
    return bound;
  }
}

/**
 * Stop accepting and end idle keep-alive connections; requests in flight
 * finish within `drainMs`, then are cut. A port's server takes connections from the core and listens on
 * nothing: what is left of them ends with this process.
 */
function closeServer(server: Server, drainMs: number): Promise<void> {
  server.closeIdleConnections();
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    const reap = setInterval(() => server.closeIdleConnections(), 25);
    const cut = setTimeout(() => server.closeAllConnections(), drainMs);
    server.close(() => {
      clearInterval(reap);
      clearTimeout(cut);
      resolve();
    });
  });
}
