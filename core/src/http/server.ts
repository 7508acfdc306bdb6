/**
 * The main HTTP server. The core's few fixed paths are answered from a table
 * (no pattern matching on the hot path), then the routers of running plugins.
 * The plugin stack is recomposed when a plugin starts or stops, so a request
 * never walks the routers of plugins that are off.
 */

/** A core route: an exact path answered for GET and HEAD. */
export type CoreRoutes = ReadonlyMap<string, (ctx: Context) => void | Promise<void>>;
import { Router } from '@koa/router';
import type Koa from 'koa';
import type { Context, Middleware } from 'koa';
import compose from 'koa-compose';
import { ServerErrors, SugarError } from '../errors.js';
import { OwnedPort, type BoundListener } from '../listeners.js';
import { runAs } from '../plugins/ownership.js';
import type { Watchdog } from '../plugins/watchdog.js';
import { createApp, type AppOptions } from './app.js';
import { claimsOf, firstClash } from './route-claims.js';

/** What a 503 for a starting plugin tells clients to wait; starts take seconds. */
const RETRY_AFTER_SECONDS = 5;

export class MainHttpServer {
  readonly app: Koa;
  private readonly port: OwnedPort;
  private readonly routers = new Map<string, Router>();
  /** Method and path of every route served, by owner (`core` for the fixed table). */
  private readonly claims = new Map<string, ReadonlySet<string>>();
  /** How errors name each plugin owner: `echo (fixture-echo)`. */
  private readonly labels = new Map<string, string>();
  private pluginStack: Middleware = (_ctx, next) => next();

  /** Which plugin, not running yet, will serve a path; see {@link answerWhileStarting}. */
  private startingOwner: (path: string) => string | undefined = () => undefined;

  /** The core's fixed paths; {@link serveCore} adds to it before the port opens. */
  private readonly table: Map<string, (ctx: Context) => void | Promise<void>>;

  constructor(options: AppOptions, coreRoutes: CoreRoutes = new Map()) {
    this.table = new Map(coreRoutes);
    const table = this.table;
    this.app = createApp(options);
    this.app.use((ctx, next) => {
      const handler = table.get(ctx.path);
      if (!handler) return this.pluginStack(ctx, next).then(() => this.unserved(ctx));
      if (ctx.method === 'GET' || ctx.method === 'HEAD') return handler(ctx);
      ctx.set('Allow', 'GET, HEAD');
      ctx.throw(405);
    });
    this.port = OwnedPort.http('HTTP server', this.app);
    this.claims.set(':table', new Set([...coreRoutes.keys()].map((path) => `GET ${path}`)));
  }

  /** Answer GET and HEAD of exactly `path` from the core's table. */
  serveCore(path: string, handler: (ctx: Context) => void | Promise<void>): void {
    this.table.set(path, handler);
    this.claims.set(':table', new Set([...this.table.keys()].map((key) => `GET ${key}`)));
  }

  /**
   * A path no running plugin answered but `owner` names a plugin for that is
   * still starting gets 503 with Retry-After, so clients come back instead of
   * concluding the service does not exist.
   */
  answerWhileStarting(owner: (path: string) => string | undefined): void {
    this.startingOwner = owner;
  }

  /**
   * A router for `service` whose requests are labelled with it in metrics and
   * logs; with a watchdog, handlers that hold the event loop long are reported.
   */
  static routerFor(service: string, watchdog?: Watchdog): Router {
    const router = new Router();
    router.use((ctx, next) => {
      ctx.state.plugin = service;
      if (!watchdog) return runAs(service, next);
      return runAs(service, () => watchdog.time(service, 'route', next, () => ({ method: ctx.method, path: ctx.path })));
    });
    return router;
  }

  /**
   * Serve `router`'s routes. A method and path another owner already serves is
   * refused (SERVER_ERR_ROUTE_TAKEN), naming both: the first one keeps it.
   */
  mount(service: string, router: Router, label = service): void {
    const held = new Map([...this.claims].filter(([owner]) => owner !== service));
    const clash = firstClash(router, held);
    if (clash) throw ServerErrors.ROUTE_TAKEN(label, clash.claim, this.labels.get(clash.owner) ?? 'the core');
    this.routers.set(service, router);
    this.claims.set(service, new Set(claimsOf(router)));
    if (!service.startsWith(':')) this.labels.set(service, label);
    this.recompose();
  }

  unmount(service: string): void {
    this.claims.delete(service);
    this.labels.delete(service);
    if (this.routers.delete(service)) this.recompose();
  }

  listen(port: number, address: string): Promise<BoundListener> {
    return this.port.listen(port, address);
  }

  get address(): BoundListener | undefined {
    return this.port.address;
  }

  close(drainMs: number): Promise<void> {
    return this.port.close(drainMs);
  }

  private unserved(ctx: Context): void {
    if (ctx.status !== 404 || ctx.body != null) return;
    const service = this.startingOwner(ctx.path);
    if (!service) return;
    ctx.state.plugin = service;
    ctx.set('Retry-After', String(RETRY_AFTER_SECONDS));
    // A 5xx hides its message by default; this one reveals nothing internal and tells the client what to do.
    const { code, message, status } = ServerErrors.SERVICE_STARTING(service);
    throw new SugarError(code, message, { status, expose: true });
  }

  private recompose(): void {
    const stack: Middleware[] = [];
    for (const router of this.routers.values()) stack.push(router.routes() as Middleware, router.allowedMethods() as Middleware);
    this.pluginStack = stack.length ? (compose(stack) as Middleware) : (_ctx, next) => next();
  }
}
