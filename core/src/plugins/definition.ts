/**
 * The contract between the core and a plugin. A plugin package's entry module
 * default-exports `definePlugin({...})`; the core checks its manifest before
 * importing it and validates its `[service]` section against `config`.
 */
import type { Socket } from 'node:net';
import type { Router } from '@koa/router';
import type { Middleware } from 'koa';
import type { DependencyContainer, InjectionToken } from 'tsyringe';
import type { ConfigOf, ConfigShape } from '../config/options.js';
import type { Logger } from '../log.js';
import type { Store } from '../storage.js';

/** The plugin API this core provides; manifests name a semver range of it. */
export const PLUGIN_API_VERSION = '1.0.0';

export type Awaitable<T> = T | Promise<T>;

export interface ListenSpec {
  /** Shown in logs and errors, e.g. "activation". */
  readonly name: string;
  readonly port: number;
  /** IP address to bind; defaults to the main HTTP address. */
  readonly address?: string;
}

export interface BoundListener {
  readonly address: string;
  /** The port actually bound (differs from the spec's when it asked for 0). */
  readonly port: number;
}

export interface HttpListener extends BoundListener {
  /** Routes served on this port only. */
  readonly router: Router;
}

/** What a plugin is handed while it runs. Everything it opens through here the core closes. */
export interface PluginContext<C = unknown> {
  /** The service this plugin provides (from its manifest). */
  readonly service: string;
  readonly packageName: string;
  readonly version: string;
  /** The validated `[service]` section. */
  readonly config: Readonly<C>;
  /** A pino child logger with `{ plugin: service }`. */
  readonly log: Logger;
  /** A child of the core's container; disposed when the plugin stops. */
  readonly container: DependencyContainer;
  /** Mounted on the main HTTP server. Own APIs live under `/<service>/v1/`. */
  readonly router: Router;
  /** `/var/lib/sugar-server/<service>`, created before start. */
  readonly dataDir: string;
  /** `/etc/sugar-server`. */
  readonly etcDir: string;
  /** Aborted when the plugin is stopped or given up on. */
  readonly signal: AbortSignal;
  /** Middleware that lets only requests with the admin token through. */
  readonly requireAdmin: Middleware;
  /** This plugin's document (one per plugin), created from `defaults` the first time. */
  openStore<T>(defaults: T): Promise<Store<T>>;
  /** An extra TCP port; the core accepts, tracks and closes connections. */
  listenTcp(spec: ListenSpec, onConnection: (socket: Socket) => void): Promise<BoundListener>;
  /** An extra HTTP port with its own router and the core's error handling and metrics. */
  listenHttp(spec: ListenSpec): Promise<HttpListener>;
  /** Offer `value` to other plugins under `token` while this plugin runs. */
  provide<T>(token: InjectionToken<T>, value: T): void;
}

export interface PluginDefinition<S extends ConfigShape = ConfigShape> {
  /** The options of the `[service]` section: defaults and validation. */
  readonly config?: S;
  start(ctx: PluginContext<ConfigOf<S>>): Awaitable<void>;
  stop?(ctx: PluginContext<ConfigOf<S>>): Awaitable<void>;
}

/** Carries types only; the loader does the checking. */
export function definePlugin<S extends ConfigShape = Record<never, never>>(definition: PluginDefinition<S>): PluginDefinition<S> {
  return definition;
}
