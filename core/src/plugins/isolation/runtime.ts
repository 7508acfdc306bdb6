/**
 * The core's side of a plugin in its own process (`[providers] isolate`). It
 * forks the process, mounts a proxy for the plugin's routes in the plugin's
 * slot of the main server, binds the ports the plugin asks for and hands each
 * accepted connection over, serves the feeds it publishes, and watches it: a
 * process that exits, is killed by a signal or stops answering pings is
 * reported as crashed. Ports and routes stay with the core while the process
 * is down, answering 503 (or closing a raw TCP connection) until it is back.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { mkdtempSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Router } from '@koa/router';
import type { Middleware } from 'koa';
import { ServerErrors, SugarError } from '../../errors.js';
import { lineWriter } from '../../log.js';
import { Tokens } from '../../tokens.js';
import type { RuntimeDeps } from '../context.js';
import type { FeedState } from '../../feeds/index.js';
import type { StatusDetails } from '../definition.js';
import type { Candidate } from '../manifest.js';
import { answer, fromWire, PendingCalls, type ChildCall, type ChildInit, type ParentCall, type RouteSpec, type ToChild, type ToParent } from './messages.js';
import { HandedOffPorts } from './ports.js';
import { proxyTo, type Upstream } from './proxy.js';

const CHILD_ENTRY = fileURLToPath(new URL('./child.js', import.meta.url));
/** How often the process is asked whether it still answers (and for its status details). */
const PING_EVERY_MS = 1_000;
/** What a 503 from a plugin that is down tells clients to wait. */
const RETRY_AFTER_SECONDS = 5;
/** Longest unix socket path Linux takes (sun_path is 108 bytes with its NUL), with a margin. */
const MAX_SOCKET_PATH = 100;

export interface IsolationHooks {
  /** The process died or stopped answering while the plugin ran. */
  crashed(reason: Error): void;
  /** How long a ping may go unanswered (`[core] isolate_timeout`), and loading the plugin's module may take. */
  timeouts(): { unresponsiveMs: number; startMs: number };
}

export class IsolatedRuntime {
  readonly service: string;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private calls: PendingCalls<ParentCall> | undefined;
  private upstream: Upstream | undefined;
  private routes: readonly RouteSpec[] = [];
  /** Why the plugin cannot answer now; undefined while its process serves. */
  private down: SugarError | undefined;
  private readonly ports: HandedOffPorts;
  private readonly socketPath: string;
  private storeOpening: { promise: Promise<void>; resolve: () => void } | undefined;
  private booting: Promise<void> | undefined;
  private latest: { details: StatusDetails | null; feeds: readonly FeedState[] } = { details: null, feeds: [] };
  private pinger: NodeJS.Timeout | undefined;
  private lastAnswer = 0;
  private sentToken = '';
  private released = false;

  constructor(
    private readonly deps: RuntimeDeps,
    private readonly candidate: Candidate,
    private readonly config: unknown,
    private readonly hooks: IsolationHooks,
  ) {
    this.service = candidate.service;
    this.down = ServerErrors.SERVICE_STARTING(this.service);
    const dataDir = join(deps.dataDir, this.service);
    const inDataDir = join(dataDir, '.core-http.sock');
    this.socketPath = Buffer.byteLength(inDataDir) <= MAX_SOCKET_PATH ? inDataDir : join(mkdtempSync(join(tmpdir(), 'sugar-server-')), `${this.service}.sock`);
    this.ports = new HandedOffPorts(deps, candidate, {
      pass: (child, listener, socket) => {
        // The process that asked for the port takes its connections from the moment it listens, as in-process.
        if (child !== this.child || !child.connected) return false;
        child.send({ kind: 'connection', listener } satisfies ToChild, socket, (err) => err && socket.destroy());
        return true;
      },
      unavailable: () => this.unavailable(),
    });
  }

  /** The process's pid while it runs. */
  get pid(): number | null {
    return this.child?.exitCode === null && this.child.signalCode === null ? (this.child.pid ?? null) : null;
  }

  listeners(): { name: string; address: string; port: number }[] {
    return this.ports.list();
  }

  details(): StatusDetails | null {
    return this.latest.details;
  }

  feeds(): FeedState[] {
    return [...this.latest.feeds];
  }

  async prepare(): Promise<void> {
    await mkdir(join(this.deps.dataDir, this.service), { recursive: true, mode: 0o750 });
  }

  /**
   * Waits not held against the plugin's start: its process starting and
   * loading the core and the plugin's module (the in-process plugin was loaded
   * before its start too), and opening its store (as in-process).
   */
  get openingStore(): Promise<unknown> | undefined {
    return this.booting ?? this.storeOpening?.promise;
  }

  /** Fork the process and run the plugin's start there; resolves once it serves. Also the restart after a crash. */
  async start(): Promise<void> {
    await this.exited;
    this.down = ServerErrors.SERVICE_STARTING(this.service);
    // Its working folder is its data folder, so whatever a native crash leaves (a core file) stays with the plugin.
    const child = fork(CHILD_ENTRY, [], {
      cwd: join(this.deps.dataDir, this.service),
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
      execArgv: [],
    });
    this.child = child;
    const calls = new PendingCalls<ParentCall>((message) => child.send(message satisfies ToChild));
    this.calls = calls;
    const writeLine = lineWriter(this.deps.log);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('{')) writeLine(line);
      else if (line) this.deps.log.info({ plugin: this.service, stdout: line }, 'plugin output');
    });

    let settle!: { resolve: (routes: readonly RouteSpec[]) => void; reject: (err: Error) => void };
    const started = new Promise<readonly RouteSpec[]>((resolve, reject) => (settle = { resolve, reject }));
    let crashMessage: string | undefined;
    let loaded!: () => void;
    this.booting = new Promise<void>((resolve) => (loaded = resolve)).finally(() => (this.booting = undefined));
    child.on('message', (message: ToParent) => {
      switch (message.kind) {
        case 'loaded': return loaded();
        case 'started': return settle.resolve(message.routes);
        case 'failed': return settle.reject(fromWire(message.error));
        case 'store': return this.trackStore(message.opening);
        case 'pong':
          this.lastAnswer = Date.now();
          this.latest = { details: message.details, feeds: message.feeds };
          return;
        case 'crash':
          crashMessage = message.message;
          return;
        case 'call': return void answer(message, (call) => this.answerChild(child, call), (reply) => child.connected && child.send(reply));
        case 'reply': return calls.settle(message);
        case 'stopped': return;
      }
    });
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        const why = crashMessage ?? (signal ? `its process was killed by ${signal}` : `its process exited with code ${code}`);
        calls.failAll(ServerErrors.SERVICE_UNAVAILABLE(this.service));
        loaded();
        this.trackStore(false);
        settle.reject(ServerErrors.PLUGIN_START(this.service, why));
        resolve();
        if (this.child === child) this.lost(new Error(why));
      });
    });
    child.on('error', (err) => this.deps.log.warn({ plugin: this.service, err }, 'isolated plugin process error'));

    this.sentToken = this.currentToken();
    child.send({ kind: 'init', init: this.initMessage() } satisfies ToChild);
    this.routes = await started;
    this.ports.keepOnly(this.ports.askedBy(child));
    this.upstream = { socketPath: this.socketPath, agent: new Agent({ keepAlive: true }) };
    this.down = undefined;
    this.lastAnswer = Date.now();
    this.pinger = setInterval(() => this.ping(child), PING_EVERY_MS);
    this.pinger.unref();
    // The first answer brings the plugin's status details.
    this.ping(child);
  }

  /** Serve the plugin's routes on the main server: the same methods and paths it routes, each proxied to its process. */
  mount(): void {
    if (this.released) return;
    const router = new Router();
    const proxy = proxyTo(() => this.upstream, (ctx) => {
      ctx.set('Retry-After', String(RETRY_AFTER_SECONDS));
      return this.unavailable();
    });
    router.use((ctx, next) => {
      ctx.state.plugin = this.service;
      return next();
    });
    for (const route of this.routes) router.register(route.path, [...route.methods], proxy as Middleware);
    this.deps.http.mount(this.service, router, `${this.service} (${this.candidate.packageName})`);
  }

  /**
   * The process crashed (seen by the host): keep routes and ports, answering
   * 503 with `error` until {@link start} brings a new process up.
   */
  markDown(error: SugarError): void {
    this.down = new SugarError(error.code, error.message, { status: 503, expose: true });
    this.stopWatching();
    this.child?.kill('SIGKILL');
  }

  /** The plugin's stop in its process, bounded by `ms`; past it the process is killed. */
  async stop(ms: number): Promise<void> {
    const child = this.child;
    this.stopWatching();
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.child = undefined;
    if (child.connected) child.send({ kind: 'stop' } satisfies ToChild);
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    await this.exited;
    clearTimeout(timer);
  }

  /** Send what changed on reload: the admin token and the log level. */
  sync(): void {
    const child = this.child;
    if (!child?.connected) return;
    const token = this.currentToken();
    if (token !== this.sentToken) child.send({ kind: 'token', token } satisfies ToChild);
    this.sentToken = token;
    child.send({ kind: 'level', level: this.deps.log.level } satisfies ToChild);
  }

  /** Kill the process if still there, unmount, withdraw feeds, close ports. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    this.stopWatching();
    const child = this.child;
    this.child = undefined;
    child?.kill('SIGKILL');
    await this.exited;
    this.upstream?.agent.destroy();
    this.upstream = undefined;
    this.deps.http.unmount(this.service);
    this.deps.feeds.withdraw(this.service);
    await this.ports.closeAll();
  }

  private unavailable(): SugarError {
    const down = this.down ?? ServerErrors.SERVICE_STARTING(this.service);
    return new SugarError(down.code, down.message, { status: 503, expose: true });
  }

  /** The process ended or went silent on its own while it served: report it once. */
  private lost(reason: Error): void {
    this.stopWatching();
    this.upstream?.agent.destroy();
    this.upstream = undefined;
    if (this.released || this.down) return;
    this.down = ServerErrors.SERVICE_UNAVAILABLE(this.service);
    this.hooks.crashed(reason);
  }

  private ping(child: ChildProcess): void {
    const silentMs = Date.now() - this.lastAnswer;
    const bound = this.hooks.timeouts().unresponsiveMs;
    if (silentMs > bound) {
      const why = `its process left the core's pings unanswered for ${Math.round(silentMs / 1000)} s, busy without a pause or stuck, and was killed`;
      this.child = undefined;
      child.kill('SIGKILL');
      this.lost(new Error(why));
      return;
    }
    if (child.connected) child.send({ kind: 'ping', id: 0 } satisfies ToChild);
  }

  private stopWatching(): void {
    clearInterval(this.pinger);
    this.pinger = undefined;
  }

  private trackStore(opening: boolean): void {
    if (opening && !this.storeOpening) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.storeOpening = { promise, resolve };
    } else if (!opening && this.storeOpening) {
      this.storeOpening.resolve();
      this.storeOpening = undefined;
    }
  }

  private async answerChild(child: ChildProcess, call: ChildCall): Promise<unknown> {
    if (call.what === 'listen') return this.ports.listen(child, call.listener, call.spec, call.http);
    this.deps.feeds.publish(this.service, {
      name: call.name,
      files: () => {
        if (!this.calls || this.down) throw ServerErrors.SERVICE_UNAVAILABLE(this.service);
        return this.calls.call({ what: 'feedFiles', name: call.name });
      },
    });
    return undefined;
  }

  private currentToken(): string {
    return this.deps.adminToken?.() ?? '';
  }

  private initMessage(): ChildInit {
    const { deps, candidate } = this;
    return {
      candidate,
      config: this.config,
      dataDir: join(deps.dataDir, this.service),
      etcDir: deps.etcDir,
      storeFile: join(deps.dataDir, 'stores', `${this.service}.json`),
      socketPath: this.socketPath,
      bodyLimit: deps.bodyLimit,
      drainMs: deps.drainMs,
      logLevel: deps.log.level,
      adminToken: this.sentToken,
      loadTimeoutMs: this.hooks.timeouts().startMs,
      coreConfig: deps.container.isRegistered(Tokens.Config, true) ? deps.container.resolve(Tokens.Config) : {},
      paths: deps.container.isRegistered(Tokens.Paths, true) ? deps.container.resolve(Tokens.Paths) : {},
    };
  }
}
