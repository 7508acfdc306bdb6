/**
 * The main HTTP server. Core routes come first, then the routers of running
 * plugins. The plugin stack is recomposed when a plugin starts or stops, so a
 * request never walks the routers of plugins that are off.
 */
import { Router } from '@koa/router';
import type Koa from 'koa';
import type { Middleware } from 'koa';
import compose from 'koa-compose';
import { OwnedPort } from '../listeners.js';
import type { BoundListener } from '../plugins/definition.js';
import { createApp, type AppOptions } from './app.js';

export class MainHttpServer {
  readonly app: Koa;
  private readonly port: OwnedPort;
  private readonly routers = new Map<string, Router>();
  private pluginStack: Middleware = (_ctx, next) => next();

  constructor(options: AppOptions, coreRoutes: Router) {
    this.app = createApp(options);
    this.app.use(coreRoutes.routes());
    this.app.use(coreRoutes.allowedMethods());
    this.app.use((ctx, next) => this.pluginStack(ctx, next));
    this.port = OwnedPort.http('HTTP server', this.app);
  }

  /** A router for `service` whose requests are labelled with it in metrics and logs. */
  static routerFor(service: string): Router {
    const router = new Router();
    router.use((ctx, next) => {
      ctx.state.plugin = service;
      return next();
    });
    return router;
  }

  mount(service: string, router: Router): void {
    this.routers.set(service, router);
    this.recompose();
  }

  unmount(service: string): void {
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

  private recompose(): void {
    const stack: Middleware[] = [];
    for (const router of this.routers.values()) stack.push(router.routes() as Middleware, router.allowedMethods() as Middleware);
    this.pluginStack = stack.length ? (compose(stack) as Middleware) : (_ctx, next) => next();
  }
}
