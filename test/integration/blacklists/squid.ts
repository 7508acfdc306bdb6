/**
 * A real squid on a loopback port, configured the way the blacklists README
 * tells admins to (our helper as url_rewrite_program and as an
 * external_acl_type, both with concurrency), in a temporary folder with its own
 * pid, logs and hosts file. It resolves names only from that hosts file
 * (everything there is 127.0.0.1) and asks no DNS server but 127.0.0.1, so it
 * never reaches anything off this machine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { DAEMON_MAIN } from '../../harness/index.js';

/** Where Debian puts squid. */
export const SQUID = ['/usr/sbin/squid', '/usr/bin/squid'].find((path) => existsSync(path)) ?? null;

/** A free loopback port (closed again before it is returned). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

export interface SquidOptions {
  /** The sugar-server root the helper reads (`--root`). */
  readonly root: string;
  /** Host names squid may resolve; all go to 127.0.0.1. */
  readonly hosts: readonly string[];
  readonly concurrency: number;
  /** The block page, where squid's deny_info sends what the external ACL refuses. */
  readonly pageUrl: string;
}

/** A response seen through the proxy. */
export interface ProxyAnswer {
  readonly status: number;
  readonly location: string | undefined;
  readonly body: string;
}

export class Squid {
  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly child: ChildProcess,
  ) {}

  static async start(dir: string, options: SquidOptions): Promise<Squid> {
    if (!SQUID) throw new Error('squid is not installed');
    await mkdir(dir, { recursive: true });
    const port = await freePort();
    const helper = `${process.execPath} ${DAEMON_MAIN} blacklists helper --root ${options.root}`;
    await writeFile(join(dir, 'hosts'), `127.0.0.1 localhost ${options.hosts.join(' ')}\n`);
    await writeFile(join(dir, 'squid.conf'), `http_port 127.0.0.1:${port}
visible_hostname sugar-server-test
pid_filename ${dir}/squid.pid
cache_log ${dir}/cache.log
access_log ${dir}/access.log
cache_store_log none
coredump_dir ${dir}
cache deny all
cache_mem 8 MB
hosts_file ${dir}/hosts
dns_nameservers 127.0.0.1
dns_defnames off
icp_port 0
htcp_port 0
pinger_enable off
shutdown_lifetime 1 seconds

url_rewrite_program ${helper}
url_rewrite_children 2 startup=2 idle=1 concurrency=${options.concurrency} queue-size=1000
external_acl_type sugar_deny ttl=0 negative_ttl=0 children-max=2 children-startup=2 concurrency=${options.concurrency} queue-size=1000 %URI ${helper} --mode acl --only deny
acl blacklisted_deny external sugar_deny
deny_info 302:${options.pageUrl}?category=%o&url=%u blacklisted_deny

acl loopback src 127.0.0.1/32
http_access deny blacklisted_deny
http_access allow loopback
http_access deny all
`);
    // Started as root, squid runs as its own user: it must read the root and write its folder.
    if (userInfo().uid === 0) await shareWithSquid(dir, options.root);
    const child = spawn(SQUID, ['-N', '-f', join(dir, 'squid.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
    const squid = new Squid(dir, port, child);
    await squid.waitUntilReady(() => output);
    return squid;
  }

  /** Ask the proxy for `url` (an absolute URL, as browsers send to a proxy). */
  get(url: string): Promise<ProxyAnswer> {
    return new Promise((resolve, reject) => {
      const target = new URL(url);
      const req = request({ host: '127.0.0.1', port: this.port, path: url, headers: { Host: target.host }, timeout: 20_000 }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, body }));
      });
      req.on('timeout', () => req.destroy(new Error(`no answer for ${url}`)));
      req.on('error', reject);
      req.end();
    });
  }

  async log(): Promise<string> {
    return readFile(join(this.dir, 'cache.log'), 'utf8').catch(() => '');
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }

  private async waitUntilReady(output: () => string): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (this.child.exitCode !== null) throw new Error(`squid exited: ${output()}\n${await this.log()}`);
      if ((await this.log()).includes('Accepting HTTP Socket connections')) return;
      if (Date.now() > deadline) throw new Error(`squid did not start: ${output()}\n${await this.log()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Let squid's user (proxy) write its folder and read the sugar-server root, as an admin would with group rights. */
async function shareWithSquid(dir: string, root: string): Promise<void> {
  const proxy = await readFile('/etc/passwd', 'utf8').then((text) => /^proxy:[^:]*:(\d+):(\d+):/m.exec(text));
  if (proxy) await chown(dir, Number(proxy[1]), Number(proxy[2]));
  await chmod(dir, 0o777);
  await chmod(dirname(dir), 0o755);
  await letOthersTraverse(dirname(dirname(dir)));
  for (const path of [root, join(root, 'etc'), join(root, 'etc/sugar-server'), join(root, 'var'), join(root, 'var/lib'), join(root, 'var/lib/sugar-server'), join(root, 'var/lib/sugar-server/blacklists'), join(root, 'var/lib/sugar-server/blacklists/index')]) {
    await chmod(path, 0o755).catch(() => {});
  }
}

/** Add the search (x) bit for others to `dir` and its parents where it is missing, e.g. on the test run's private temporary folder. */
async function letOthersTraverse(dir: string): Promise<void> {
  for (let path = dir; ; path = dirname(path)) {
    const mode = (await stat(path)).mode & 0o7777;
    if ((mode & 0o001) === 0) await chmod(path, mode | 0o001);
    if (dirname(path) === path) return;
  }
}
