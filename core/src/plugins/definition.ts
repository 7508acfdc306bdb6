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
import type { BoundListener } from '../listeners.js';
import type { Logger } from '../log.js';
import type { DocumentVersion, Store } from '../storage.js';
import type { Clock } from '../tokens.js';
import type { FeedMirror, MirrorSpec, PublishSpec } from '../feeds/types.js';
import type { AdminPages } from '../admin-console/pages.js';

/** The plugin API this core provides; manifests name a semver range of it. */
export const PLUGIN_API_VERSION = '1.1.0';

export type { Awaitable } from '../awaitable.js';
import type { Awaitable } from '../awaitable.js';

/**
 * The key a plugin offers a service to others under (`ctx.provide`) and they
 * look it up with (`ctx.services.get`): a string, or better a
 * `Symbol.for('myschool.thing')` typed with what it holds.
 */
export type ServiceToken<T> = InjectionToken<T>;

/** What running plugins offer each other through `ctx.provide`. */
export interface Services {
  /** The value offered under `token`, or undefined while no running plugin offers it. */
  get<T>(token: ServiceToken<T>): T | undefined;
}

export interface ListenSpec {
  /** Shown in logs and errors, e.g. "activation". */
  readonly name: string;
  readonly port: number;
  /** IP address to bind; defaults to the main HTTP address. */
  readonly address?: string;
  /**
   * TCP only: hand each socket over unread (Node's `pauseOnConnect`), for a
   * plugin that passes connections to a process of its own with
   * `child.send(message, socket)`; a byte read here would be lost to it.
   * For plugins in the daemon's process: an isolated plugin's process is
   * handed its sockets that way itself, and Node reads from a socket it
   * receives at once.
   */
  readonly pauseOnConnect?: boolean;
}

export type { BoundListener };

export interface HttpListener extends BoundListener {
  /** Routes served on this port only. */
  readonly router: Router;
}

/** What a plugin command is handed: the plugin's config and a way to reach the running daemon. */
export interface CommandContext<C = unknown> {
  readonly service: string;
  readonly config: Readonly<C>;
  readonly etcDir: string;
  /** The plugin's data folder (`/var/lib/sugar-server/<service>`). */
  readonly dataDir: string;
  /** The running daemon's base URL, or null when none runs. */
  daemonUrl(): Promise<string | null>;
  /** Call the running daemon with the admin token; throws SERVER_ERR_NOT_RUNNING when none runs. */
  adminFetch(path: string, init?: RequestInit): Promise<Response>;
  /**
   * {@link adminFetch} for the daemon's JSON APIs: resolves with the parsed body
   * (undefined when empty), throws the daemon's `{error: {code, message}}` as a SugarError.
   */
  adminJson<T = unknown>(path: string, init?: RequestInit): Promise<T>;
  out(line: string): void;
  err(line: string): void;
}

/** `sugar-server <service> <name> [args]`. */
export interface PluginCommand<C = unknown> {
  readonly summary: string;
  /** Shown by `--help`, e.g. `sugar-server leases sign --serial SN --uuid U --expires DATE`. */
  readonly usage: string;
  /** Resolves with the exit code (0 when nothing is returned). */
  run(args: readonly string[], ctx: CommandContext<C>): Awaitable<number | void>;
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
  /** The core's clock: take "now" from here, so that a test can set the time. */
  readonly clock: Clock;
  /** Services other plugins offer; a service whose plugin is not running is undefined. */
  readonly services: Services;
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
  /**
   * This plugin's document (one per plugin), created from `defaults` the first
   * time. `document` declares the version of its shape (1 when absent) and the
   * migrations that bring a document stored at an older version up to it,
   * which run once, in order, before this resolves:
   * `ctx.openStore(EMPTY, { version: 2, migrate: { 2: (v1: V1) => toV2(v1) } })`.
   */
  openStore<T>(defaults: T, document?: DocumentVersion): Promise<Store<T>>;
  /** An extra TCP port; the core accepts, tracks and closes connections. */
  listenTcp(spec: ListenSpec, onConnection: (socket: Socket) => void): Promise<BoundListener>;
  /** An extra HTTP port with its own router and the core's error handling and metrics. */
  listenHttp(spec: ListenSpec): Promise<HttpListener>;
  /** Offer `value` to other plugins under `token` while this plugin runs. */
  provide<T>(token: ServiceToken<T>, value: T): void;
  /** Mirror a feed from another sugar-server (the Mothership): conditional GET, sha256 checks, atomic swap, last good kept. */
  mirrorFeed(spec: MirrorSpec): FeedMirror;
  /** Publish files as a feed at `/feeds/v1/<name>/`, so this server can be the Mothership for others. */
  publishFeed(spec: PublishSpec): void;
  /**
   * Add a summary to this plugin's entry in `/status` (as `details`), asked at
   * most once a second. `/status` is public: report counts and reasons, never secrets.
   */
  reportStatus(source: () => StatusDetails): void;
  /** Pages of the admin console: `ctx.admin.page({ route, title, messages, render, actions })`. */
  readonly admin: AdminPages;
}

/** What a plugin adds to its `/status` entry: plain JSON values. */
export type StatusDetails = Readonly<Record<string, unknown>>;

export interface PluginDefinition<S extends ConfigShape = ConfigShape> {
  /** The options of the `[service]` section: defaults and validation. */
  readonly config?: S;
  start(ctx: PluginContext<ConfigOf<S>>): Awaitable<void>;
  stop?(ctx: PluginContext<ConfigOf<S>>): Awaitable<void>;
  /** Subcommands of `sugar-server <service>`, run by the CLI (not inside the daemon). */
  readonly commands?: Readonly<Record<string, PluginCommand<ConfigOf<S>>>>;
}

/** Carries types only; the loader does the checking. */
export function definePlugin<S extends ConfigShape = Record<never, never>>(definition: PluginDefinition<S>): PluginDefinition<S> {
  return definition;
}
