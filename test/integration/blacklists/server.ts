/**
 * A sugar-server with the blacklists service on, compiled from lists made by
 * the generator, and what the suites do with it: admin calls, waiting for a
 * compile, running the squid helper as squid would.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DaemonProcess, DAEMON_MAIN, makeRoot, runCommand, type CommandResult } from '../../harness/index.js';

/** The `[plugins]` and `[blacklists]` sections for lists under `source`. */
export function blacklistsConfig(source: string | null, extra = ''): string {
  return `[plugins]\nblacklists = on\n[blacklists]\n${source ? `source = ${source}\n` : ''}${extra}`;
}

export interface StatusAnswer {
  index: { compiledAt: string; domains: number; urls: number; expressions: number; garbage: number; source: { kind: string } | null } | null;
  compile: { state: string; lastError: { code: string; message: string } | null; lastSuccess: { at: string } | null };
}

export class BlacklistsServer {
  private constructor(
    readonly daemon: DaemonProcess,
    private readonly token: string,
  ) {}

  /** Start a daemon in a fresh root holding `etcFiles` (the allow and block lists), and wait for its first index. */
  static async start(config: string, etcFiles: Record<string, string> = {}): Promise<BlacklistsServer> {
    const root = await makeRoot({ config });
    for (const [name, text] of Object.entries(etcFiles)) await writeFile(join(root, 'etc/sugar-server', name), text);
    return BlacklistsServer.startIn(root);
  }

  static async startIn(root: string): Promise<BlacklistsServer> {
    const daemon = await DaemonProcess.startIn(root);
    const plugin = daemon.plugin(await daemon.status(), 'blacklists');
    if (plugin?.state !== 'running') {
      await daemon.dispose();
      throw new Error(`blacklists not running: ${JSON.stringify(plugin)}`);
    }
    const token = (await readFile(join(daemon.root, 'etc/sugar-server/admin.token'), 'utf8')).trim();
    const server = new BlacklistsServer(daemon, token);
    await server.waitForIndex();
    return server;
  }

  get root(): string {
    return this.daemon.root;
  }

  get etc(): string {
    return join(this.daemon.root, 'etc/sugar-server');
  }

  admin(path: string, init: RequestInit = {}): Promise<Response> {
    return this.daemon.fetch(path, {
      ...init,
      headers: { ...(init.headers as Record<string, string>), Authorization: `Bearer ${this.token}` },
      signal: init.signal ?? AbortSignal.timeout(120_000),
    });
  }

  status(): Promise<StatusAnswer> {
    return this.daemon.json<StatusAnswer>('/blacklists/v1/status');
  }

  /** Wait until an index is compiled (and no compile is running). */
  async waitForIndex(timeoutMs = 60_000): Promise<StatusAnswer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = await this.status();
      if (status.index && status.compile.state === 'idle') return status;
      if (Date.now() > deadline) throw new Error(`no index within ${timeoutMs} ms: ${JSON.stringify(status)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async check(url: string): Promise<{ blocked: boolean; category: string | null; action: string | null; rule: { list: string; entry: string; category: string } | null }> {
    return this.daemon.json(`/blacklists/v1/check?url=${encodeURIComponent(url)}`);
  }

  /** The squid helper on `lines` (a string of request lines), as squid runs it. */
  helper(lines: string, ...args: string[]): Promise<CommandResult> {
    return runCommand(process.execPath, [DAEMON_MAIN, 'blacklists', 'helper', ...args, '--root', this.root], { input: lines, timeoutMs: 60_000 });
  }

  dispose(): Promise<void> {
    return this.daemon.dispose();
  }
}
