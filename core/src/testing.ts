/**
 * `sugar-server/testing`: a real daemon for a plugin package's own tests. It
 * runs this core's daemon as a child process in a temporary root, on a free
 * port of 127.0.0.1, without mDNS, with the given plugin folders installed in
 * its `plugin_dirs` and their services switched on; `stop()` ends it and removes
 * the root.
 *
 * ```ts
 * const daemon = await startTestDaemon({ plugins: [packageDir], config: '[hello]\ngreeting = hi\n' });
 * const response = await daemon.fetch('/hello/v1/hello');
 * await daemon.stop();
 * ```
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ServerErrors } from './errors.js';

export interface TestDaemonOptions {
  /** Folders of plugin packages (each holding its package.json) to install; their services are switched on. */
  readonly plugins?: readonly string[];
  /** More configuration after the daemon's own sections, e.g. a plugin's `[service]` section. */
  readonly config?: string;
  /** How long the daemon may take to be ready (default 20 s). */
  readonly readyTimeoutMs?: number;
}

export interface TestDaemon {
  /** The main HTTP server, `http://127.0.0.1:<port>/`. */
  readonly url: string;
  /** The temporary root (`etc/sugar-server`, `var/lib/sugar-server`, `run/sugar-server`). */
  readonly root: string;
  /** The daemon's log lines so far (JSON objects as pino writes them). */
  readonly logs: readonly Record<string, unknown>[];
  /** `fetch` relative to {@link url}. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** SIGTERM, wait for the daemon to exit, remove the root. */
  stop(): Promise<void>;
}

const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));
const READY = 'sugar-server ready at ';

/**
 * Start a daemon with `options.plugins` installed and on. Resolves once it is
 * ready and each of those plugins runs; rejects (and cleans up) with the
 * daemon's own words: SERVER_ERR_PLUGIN_START naming each plugin that does not
 * run, SERVER_ERR_NOT_RUNNING when the daemon exits early or is not ready in
 * time, SERVER_ERR_PLUGIN_INVALID for a folder that is no plugin package.
 */
export async function startTestDaemon(options: TestDaemonOptions = {}): Promise<TestDaemon> {
  const root = await mkdtemp(join(tmpdir(), 'sugar-server-test-'));
  try {
    const services = await installPlugins(root, options.plugins ?? []);
    const etc = join(root, 'etc/sugar-server');
    await mkdir(join(etc, 'conf.d'), { recursive: true });
    await writeFile(join(etc, 'sugar-server.conf'), [
      `[core]\nplugin_dirs = ${join(root, 'plugins')}\n`,
      '[http]\naddress = 127.0.0.1\nport = 0\n',
      '[mdns]\nenabled = off\n',
      `[plugins]\n${services.map((s) => `${s} = on\n`).join('')}`,
      options.config ?? '',
    ].join('\n'));
    const daemon = await spawnDaemon(root, options.readyTimeoutMs ?? 20_000);
    const failed = await notRunning(daemon.url, services).catch((err: unknown) => [{ service: 'status', why: String(err) }]);
    if (failed.length) {
      await daemon.stop();
      throw ServerErrors.PLUGIN_START(failed.map((f) => f.service).join(', '), failed.map((f) => f.why).join('; '));
    }
    return daemon;
  } catch (err) {
    await rm(root, { recursive: true, force: true });
    throw err;
  }
}

/** Links each package into `<root>/plugins/<name>`; returns their services. */
async function installPlugins(root: string, dirs: readonly string[]): Promise<string[]> {
  const services: string[] = [];
  for (const dir of dirs) {
    const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { name?: string; 'sugar-server'?: { service?: string } };
    const service = pkg['sugar-server']?.service;
    if (!pkg.name || !service) throw ServerErrors.PLUGIN_INVALID(dir, 'not a plugin package: its package.json needs "name" and "sugar-server": {"service"}');
    const link = join(root, 'plugins', pkg.name);
    await mkdir(dirname(link), { recursive: true });
    await symlink(resolve(dir), link, 'dir');
    services.push(service);
  }
  return services;
}

function spawnDaemon(root: string, readyTimeoutMs: number): Promise<TestDaemon> {
  const child = spawn(process.execPath, [MAIN, 'start', '--root', root], { stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  createInterface({ input: child.stderr }).on('line', (line) => stderr.push(line));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    await rm(root, { recursive: true, force: true });
  };

  return new Promise((resolveReady, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(ServerErrors.NOT_RUNNING(root, `not ready within ${readyTimeoutMs} ms; its last log lines:\n${lastLines(logs, stderr)}`));
    }, readyTimeoutMs);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(ServerErrors.NOT_RUNNING(root, `the daemon exited with ${code} before it was ready:\n${lastLines(logs, stderr)}`));
    });
    createInterface({ input: child.stdout }).on('line', (text) => {
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        line = { msg: text };
      }
      logs.push(line);
      if (typeof line.msg === 'string' && line.msg.startsWith(READY) && typeof line.url === 'string') {
        clearTimeout(timer);
        const url = line.url;
        resolveReady({
          url,
          root,
          logs,
          fetch: (path, init) => fetch(new URL(path, url), { ...init, signal: init?.signal ?? AbortSignal.timeout(10_000) }),
          stop,
        });
      }
    });
  });
}

/** Each of `services` not running, with its state and error, from /status. */
async function notRunning(url: string, services: readonly string[]): Promise<{ service: string; why: string }[]> {
  const response = await fetch(new URL('/status', url), { signal: AbortSignal.timeout(10_000) });
  const status = (await response.json()) as { plugins: { service: string; state: string; error: { code: string; message: string } | null }[] };
  return services.flatMap((service) => {
    const plugin = status.plugins.find((p) => p.service === service);
    if (!plugin) return [{ service, why: `not found (see "rejected" in ${new URL('/status', url).href})` }];
    return plugin.state === 'running' ? [] : [{ service, why: `${plugin.state}${plugin.error ? ` (${plugin.error.code}: ${plugin.error.message})` : ''}` }];
  });
}

function lastLines(logs: readonly Record<string, unknown>[], stderr: readonly string[]): string {
  return [...logs.slice(-5).map((line) => JSON.stringify(line)), ...stderr.slice(-10)].join('\n');
}
