/**
 * Starts the real daemon as a child process in a temporary root, on a free
 * loopback port, and talks to it only as clients do: HTTP, signals, the CLI.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DAEMON_MAIN, FIXTURE_PLUGINS } from './paths.js';
import { runCommand, type CommandResult } from './run.js';

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export interface DaemonOptions {
  /** Extra text for sugar-server.conf, after the harness's own sections. */
  config?: string;
  /** conf.d drop-ins by file name. */
  dropIns?: Record<string, string>;
  /** Reuse a root (a second daemon on the same data folder). */
  root?: string;
  /** Override the [core]/[http]/[mdns] sections the harness writes. */
  baseConfig?: string;
  /** Run the daemon on these CPUs only (taskset list, e.g. "1"). */
  cpus?: string;
  /** Options for node itself, before the daemon's script (e.g. `--cpu-prof`). */
  nodeArgs?: string[];
}

export interface StartOptions {
  cpus?: string;
  nodeArgs?: string[];
  readyTimeoutMs?: number;
  /**
   * Run the daemon's command line through another program that ends by
   * exec'ing it (so the child's pid stays the daemon's), e.g. `unshare -m`
   * with a small file system mounted over the data folder.
   */
  wrap?: (command: string[]) => string[];
  /** Extra environment variables for the daemon. */
  env?: Record<string, string>;
}

export const BASE_CONFIG = `[core]
plugin_dirs = ${FIXTURE_PLUGINS}
start_timeout = 2s
stop_timeout = 2s
drain_timeout = 3s

[http]
address = 127.0.0.1
port = 0

[mdns]
enabled = off

[admin]
port = 0
`;

/** A fresh temporary root with a config tree. */
export async function makeRoot(options: DaemonOptions = {}): Promise<string> {
  const root = options.root ?? (await mkdtemp(join(tmpdir(), 'sugar-server-test-')));
  const etc = join(root, 'etc/sugar-server');
  await mkdir(join(etc, 'conf.d'), { recursive: true });
  await writeFile(join(etc, 'sugar-server.conf'), `${options.baseConfig ?? BASE_CONFIG}\n${options.config ?? ''}\n`);
  for (const [name, text] of Object.entries(options.dropIns ?? {})) await writeFile(join(etc, 'conf.d', name), text);
  return root;
}

export class DaemonProcess {
  readonly logs: LogLine[] = [];
  readonly stderr: string[] = [];
  url = '';
  private readonly exited: Promise<number | null>;
  private waiters: { test: (line: LogLine) => boolean; resolve: (line: LogLine) => void }[] = [];

  private constructor(
    readonly root: string,
    readonly child: ChildProcess,
  ) {
    createInterface({ input: child.stdout! }).on('line', (text) => {
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { level: 30, msg: text };
      }
      this.logs.push(line);
      this.waiters = this.waiters.filter((w) => (w.test(line) ? (w.resolve(line), false) : true));
    });
    createInterface({ input: child.stderr! }).on('line', (text) => this.stderr.push(text));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** Start a daemon and wait until it says it is ready; rejects with its stderr if it exits first. */
  static async start(options: DaemonOptions = {}): Promise<DaemonProcess> {
    const root = await makeRoot(options);
    return DaemonProcess.startIn(root, { ...(options.cpus ? { cpus: options.cpus } : {}), ...(options.nodeArgs ? { nodeArgs: options.nodeArgs } : {}) });
  }

  static async startIn(root: string, options: StartOptions = {}): Promise<DaemonProcess> {
    let command = [process.execPath, ...(options.nodeArgs ?? []), DAEMON_MAIN, 'start', '--root', root];
    // Benchmarks pin the server to its own CPU so the load generator never competes with it.
    if (options.cpus) command.unshift('taskset', '-c', options.cpus);
    if (options.wrap) command = options.wrap(command);
    const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
    const daemon = new DaemonProcess(root, child);
    const ready = daemon.waitForLog((line) => line.msg.startsWith('sugar-server ready at '), options.readyTimeoutMs ?? 20_000);
    const code = await Promise.race([ready.then(() => undefined), daemon.exited]);
    if (code !== undefined) throw new Error(`daemon exited with ${code} before it was ready:\n${daemon.stderr.join('\n')}`);
    daemon.url = (daemon.logs.find((line) => line.msg.startsWith('sugar-server ready at '))!.url as string);
    return daemon;
  }

  /**
   * Start a daemon and return as soon as its HTTP port is bound, while its
   * plugins may still be starting; {@link waitUntilReady} waits for the rest.
   */
  static async launch(options: DaemonOptions = {}): Promise<DaemonProcess> {
    const root = await makeRoot(options);
    const child = spawn(process.execPath, [DAEMON_MAIN, 'start', '--root', root], { stdio: ['ignore', 'pipe', 'pipe'] });
    const daemon = new DaemonProcess(root, child);
    const bound = daemon.waitForLog((line) => line.msg.startsWith('HTTP listening at '), 20_000);
    const code = await Promise.race([bound.then(() => undefined), daemon.exited]);
    if (code !== undefined) throw new Error(`daemon exited with ${code} before it listened:\n${daemon.stderr.join('\n')}`);
    daemon.url = (await bound).url as string;
    return daemon;
  }

  /** Resolves once the daemon says it is ready (all plugins started or given up on). */
  async waitUntilReady(timeoutMs = 20_000): Promise<void> {
    await this.waitForLog((line) => line.msg.startsWith('sugar-server ready at '), timeoutMs);
  }

  /** Resolves with the first log line (past or future) that passes `test`. */
  waitForLog(test: (line: LogLine) => boolean, timeoutMs = 10_000): Promise<LogLine> {
    const past = this.logs.find(test);
    if (past) return Promise.resolve(past);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching log line within ${timeoutMs} ms; last lines:\n${this.logs.slice(-5).map((l) => JSON.stringify(l)).join('\n')}`)), timeoutMs);
      this.waiters.push({ test, resolve: (line) => (clearTimeout(timer), resolve(line)) });
    });
  }

  fetch(path: string, init?: RequestInit): Promise<Response> {
    return fetch(new URL(path, this.url), { ...init, signal: init?.signal ?? AbortSignal.timeout(10_000) });
  }

  async json<T = any>(path: string, init?: RequestInit): Promise<T> {
    const response = await this.fetch(path, init);
    return (await response.json()) as T;
  }

  status(): Promise<StatusDoc> {
    return this.json<StatusDoc>('/status');
  }

  plugin(status: StatusDoc, service: string) {
    return status.plugins.find((p) => p.service === service);
  }

  /** Send SIGHUP and wait until the daemon applied or refused the new configuration. */
  async reload(): Promise<StatusDoc> {
    const before = await this.status();
    this.child.kill('SIGHUP');
    const deadline = Date.now() + 15_000;
    for (;;) {
      const now = await this.status();
      const c = now.server.config;
      if (c.generation > before.server.config.generation || (c.lastError && c.lastError !== before.server.config.lastError)) return now;
      if (Date.now() > deadline) throw new Error('reload did not finish');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** The `sugar-server` CLI against this daemon's root. */
  cli(...args: string[]): Promise<CommandResult> {
    return runCommand(process.execPath, [DAEMON_MAIN, ...args, '--root', this.root]);
  }

  /** SIGTERM and the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    this.child.kill(signal);
    return this.exited;
  }

  waitForExit(): Promise<number | null> {
    return this.exited;
  }

  /** Stop (if still running) and delete the root. */
  async dispose(): Promise<void> {
    await this.stop('SIGKILL');
    await rm(this.root, { recursive: true, force: true });
  }
}

export interface StatusDoc {
  server: {
    state: string;
    version: string;
    uptime: number;
    config: { generation: number; lastError: string | null };
    eventLoop: { lagMs: { p50: number; p99: number; max: number } };
  };
  plugins: {
    service: string;
    package: string | null;
    version: string | null;
    enabled: boolean;
    state: string;
    uptime: number | null;
    dependsOn: string[];
    error: { code: string; message: string } | null;
    listeners: { name: string; address: string; port: number }[];
    feeds: Record<string, string | null>[];
    details: Record<string, unknown> | null;
    /** Present for a plugin in `[providers] isolate`, with its process's pid (null while down). */
    isolated?: true;
    pid?: number | null;
  }[];
  standby: { service: string; package: string; reason: string }[];
  rejected: { package: string; reason: string }[];
}
