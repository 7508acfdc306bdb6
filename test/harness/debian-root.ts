/**
 * A fresh Debian 12 system to install packages into: `debootstrap
 * --variant=minbase bookworm`, made once and kept as a tarball under
 * /var/cache/sugar-server-tests/ (the first run takes a few minutes), unpacked
 * anew for each suite. Commands run in it by chroot, in a mount namespace of
 * their own (its /proc and /dev vanish with them) and, unless asked, a network
 * namespace of their own with no interface up: no network at all.
 */
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaemonProcess, type StartOptions } from './daemon.js';
import { runCommand, type CommandResult } from './run.js';

const CACHE = '/var/cache/sugar-server-tests';
const TARBALL = join(CACHE, 'debian-bookworm-minbase.tar.gz');
const MIRROR = 'http://deb.debian.org/debian';

/** What systemd puts in the environment of sugar-server.service (User=, StateDirectory= and the rest). */
export const UNIT_ENVIRONMENT: Record<string, string> = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  LANG: 'C.UTF-8',
  HOME: '/var/lib/sugar-server',
  USER: 'sugar-server',
  LOGNAME: 'sugar-server',
  SHELL: '/usr/sbin/nologin',
  RUNTIME_DIRECTORY: '/run/sugar-server',
  STATE_DIRECTORY: '/var/lib/sugar-server',
  CONFIGURATION_DIRECTORY: '/etc/sugar-server',
};

async function ensureTarball(): Promise<void> {
  if (existsSync(TARBALL)) return;
  await mkdir(CACHE, { recursive: true });
  const build = await mkdtemp(join(CACHE, '.debootstrap-'));
  try {
    const made = await runCommand('debootstrap', ['--variant=minbase', 'bookworm', join(build, 'root'), MIRROR], { timeoutMs: 1_200_000 });
    if (made.code !== 0) throw new Error(`debootstrap failed (${made.code}):\n${made.stderr.slice(-2000)}`);
    const packed = await runCommand('tar', ['--numeric-owner', '-czf', join(build, 'root.tar.gz'), '-C', join(build, 'root'), '.'], { timeoutMs: 300_000 });
    if (packed.code !== 0) throw new Error(`packing the Debian root failed:\n${packed.stderr}`);
    await rename(join(build, 'root.tar.gz'), TARBALL);
  } finally {
    await rm(build, { recursive: true, force: true });
  }
}

const ROOT_ENVIRONMENT = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8';

const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

export class DebianRoot {
  private constructor(readonly dir: string) {}

  /** A freshly unpacked root (the tarball is made first if missing). */
  static async create(): Promise<DebianRoot> {
    await ensureTarball();
    const dir = await mkdtemp(join(tmpdir(), 'sugar-server-test-debian-'));
    const unpacked = await runCommand('tar', ['--numeric-owner', '-xpzf', TARBALL, '-C', dir], { timeoutMs: 300_000 });
    if (unpacked.code !== 0) throw new Error(`unpacking the Debian root failed:\n${unpacked.stderr}`);
    return new DebianRoot(dir);
  }

  /** The shell line that enters the root with /proc and /dev of its own mount namespace. */
  private enter(command: string): string {
    const at = quote(this.dir);
    // A clean environment: nothing of the host's (its TMPDIR, its PATH) means anything in there.
    return `mount -t proc proc ${at}/proc && mount --rbind /dev ${at}/dev && exec chroot ${at} /usr/bin/env -i ${ROOT_ENVIRONMENT} /bin/sh -c ${quote(command)}`;
  }

  /** Run a shell command in the root as root; with no network unless `network` is set. */
  run(command: string, options: { network?: boolean; timeoutMs?: number } = {}): Promise<CommandResult> {
    const namespaces = options.network ? ['--mount'] : ['--mount', '--net'];
    return runCommand('unshare', [...namespaces, '--propagation', 'private', 'sh', '-c', this.enter(command)], { timeoutMs: options.timeoutMs ?? 300_000 });
  }

  /**
   * The daemon as its unit starts it: check-config first, then `sugar-server
   * start` as the user sugar-server with the unit's environment and umask, in
   * the host's network (so tests reach it on loopback). Its pid stays the one
   * the harness signals: every step execs the next.
   */
  async startDaemon(options: StartOptions = {}): Promise<DaemonProcess> {
    const prepared = await this.run('install -d -o sugar-server -g sugar-server -m 0755 /run/sugar-server', { network: true });
    if (prepared.code !== 0) throw new Error(`RuntimeDirectory: ${prepared.stderr}`);
    const env = Object.entries(UNIT_ENVIRONMENT).map(([key, value]) => `${key}=${value}`);
    const asUnit = (command: string) => ['umask 0027 &&', 'exec setpriv --reuid=sugar-server --regid=sugar-server --init-groups --no-new-privs', 'env -i', ...env.map(quote), command].join(' ');
    const check = await this.run(asUnit('/usr/bin/sugar-server check-config'), { network: true });
    if (check.code !== 0) throw new Error(`ExecStartPre=sugar-server check-config exited ${check.code}:\n${check.stdout}${check.stderr}`);
    const line = ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', this.enter(asUnit('/usr/bin/sugar-server start'))];
    return DaemonProcess.startIn(this.dir, { readyTimeoutMs: 60_000, ...options, wrap: () => line });
  }

  /** Copy a file from the host into the root; returns its path inside. */
  async put(path: string, text: string | Buffer): Promise<string> {
    await mkdir(join(this.dir, path, '..'), { recursive: true });
    await writeFile(join(this.dir, path), text);
    return path;
  }

  async dispose(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
