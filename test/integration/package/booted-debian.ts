/**
 * A Debian 12 system booted for real: systemd as PID 1 of a container
 * (`systemd-nspawn --boot`) with a network namespace of its own, in which only
 * its loopback exists. The root is the suites' debootstrap minbase with
 * systemd, systemd-sysv and dbus added, made once from the machine's Debian
 * sources and kept under /var/cache/sugar-server-tests/, named for what it is
 * made of; each suite unpacks it anew and boots it once.
 *
 * Commands run inside by entering the container's namespaces (nsenter), so
 * `systemctl`, `dpkg` and the maintainer scripts meet the real service
 * manager. Programs of the host (node, sugaroid, rsync, ssh) run in the
 * container's network only, to reach the daemon on its own loopback.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DebianRoot, runCommand, type CommandResult } from '../../harness/index.js';

const CACHE = '/var/cache/sugar-server-tests';
const BASE = join(CACHE, 'debian-bookworm-minbase.tar.gz');
/** What a Debian server boots with; nothing else is added to the minbase root. */
const PACKAGES = ['systemd', 'systemd-sysv', 'dbus'];
/** Units of a full system that a test of one service has no use for (a console login, daily apt runs). */
const MASKED = ['console-getty.service', 'apt-daily.timer', 'apt-daily-upgrade.timer', 'dpkg-db-backup.timer', 'e2scrub_all.timer', 'systemd-tmpfiles-clean.timer'];

const ENVIRONMENT = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root', 'LANG=C.UTF-8', 'DEBIAN_FRONTEND=noninteractive'];

/** The cached root, named for the base tarball it grew from and the packages added to it. */
async function systemdTarball(): Promise<string> {
  // The base is made by DebianRoot on first use; its size and time stand for its content.
  if (!existsSync(BASE)) await (await DebianRoot.create()).dispose();
  const base = await stat(BASE);
  const key = createHash('sha256').update(`${base.size} ${base.mtimeMs} ${PACKAGES.join(' ')}`).digest('hex').slice(0, 12);
  const tarball = join(CACHE, `debian-bookworm-systemd-${key}.tar.gz`);
  if (existsSync(tarball)) return tarball;
  const root = await DebianRoot.create();
  try {
    // The one step with a network: packages from the Debian mirror the base came from.
    const added = await root.run(`apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${PACKAGES.join(' ')} && apt-get clean && rm -rf /var/lib/apt/lists/*`, { network: true, timeoutMs: 900_000 });
    if (added.code !== 0) throw new Error(`installing ${PACKAGES.join(', ')} into the Debian root failed (${added.code}):\n${added.stderr.slice(-2000)}`);
    const partial = join(CACHE, `.${process.pid}-${key}.tar.gz`);
    const packed = await runCommand('tar', ['--numeric-owner', '-czf', partial, '-C', root.dir, '.'], { timeoutMs: 300_000 });
    if (packed.code !== 0) throw new Error(`packing the Debian root failed:\n${packed.stderr}`);
    await rename(partial, tarball);
  } finally {
    await root.dispose();
  }
  return tarball;
}

const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

export class BootedDebian {
  private readonly console: string[] = [];
  private exited: Promise<number | null>;

  private constructor(
    readonly dir: string,
    private readonly nspawn: ChildProcess,
    /** The container's PID 1 (systemd) as the host sees it. */
    public leader = 0,
  ) {
    nspawn.stdout!.on('data', (chunk: Buffer) => this.console.push(chunk.toString()));
    nspawn.stderr!.on('data', (chunk: Buffer) => this.console.push(chunk.toString()));
    this.exited = new Promise((resolve) => nspawn.on('exit', (code) => resolve(code)));
  }

  /** Unpack the cached root and boot it; resolves once systemd says the system is up. */
  static async boot(): Promise<BootedDebian> {
    const tarball = await systemdTarball();
    const dir = await mkdtemp(join(tmpdir(), 'sugar-server-test-booted-'));
    const unpacked = await runCommand('tar', ['--numeric-owner', '-xpzf', tarball, '-C', dir], { timeoutMs: 300_000 });
    if (unpacked.code !== 0) throw new Error(`unpacking the Debian root failed:\n${unpacked.stderr}`);
    for (const unit of MASKED) await symlink('/dev/null', join(dir, 'etc/systemd/system', unit));
    const machine = `sugar-server-test-${process.pid}`;
    await writeFile(join(dir, 'etc/hostname'), `${machine}\n`);
    // No host systemd to register with: --register=no and --keep-unit leave the host's
    // service manager out; --private-network gives the system a loopback and nothing else.
    const nspawn = spawn('systemd-nspawn', [
      '--boot', `--directory=${dir}`, `--machine=${machine}`, '--private-network', '--register=no', '--keep-unit',
      '--console=read-only', '--quiet',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    const system = new BootedDebian(dir, nspawn);
    try {
      system.leader = await system.findLeader();
      await system.managerListening();
      const up = await system.run('systemctl is-system-running --wait', { timeoutMs: 120_000 });
      if (up.stdout.trim() !== 'running') {
        const failed = await system.run('systemctl --failed --no-legend --plain');
        throw new Error(`the booted system is ${up.stdout.trim() || up.stderr.trim()}; failed units:\n${failed.stdout}`);
      }
    } catch (error) {
      await system.dispose();
      throw error;
    }
    return system;
  }

  /** The container's init: the process whose root is the unpacked tree and whose name is systemd. */
  private async findLeader(): Promise<number> {
    for (let attempt = 0; attempt < 300; attempt++) {
      const children = await runCommand('ps', ['-o', 'pid=,comm=', '--ppid', String(this.nspawn.pid)]);
      const init = children.stdout.split('\n').map((line) => line.trim().split(/\s+/)).find(([, comm]) => comm === 'systemd');
      if (init) return Number(init[0]);
      if (this.nspawn.exitCode !== null) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`systemd-nspawn did not boot the system:\n${this.console.join('').slice(-2000)}`);
  }

  /** systemctl speaks to PID 1 over /run/systemd/private, made early in the boot. */
  private async managerListening(): Promise<void> {
    for (let attempt = 0; attempt < 600; attempt++) {
      if ((await this.run('test -S /run/systemd/private')).code === 0) return;
      if (this.nspawn.exitCode !== null) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`systemd in the container never listened:\n${this.console.join('').slice(-2000)}`);
  }

  /** Run a shell command inside the system as root, in a clean environment, as a login on it would. */
  run(command: string, options: { timeoutMs?: number } = {}): Promise<CommandResult> {
    return runCommand('nsenter', [`--target=${this.leader}`, '--mount', '--uts', '--ipc', '--net', '--pid', '--cgroup', '--root', '--wd',
      'env', '-i', ...ENVIRONMENT, 'sh', '-c', command], { timeoutMs: options.timeoutMs ?? 300_000 });
  }

  /** A host program run in the system's network namespace (its loopback), nowhere else of it. */
  inNetwork(command: string, args: string[]): ChildProcess {
    return spawn('nsenter', [`--target=${this.leader}`, '--net', '--', command, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  }

  /** `systemctl show` properties of a unit, as an object. */
  async show(unit: string, properties: string[]): Promise<Record<string, string>> {
    const shown = await this.run(`systemctl show ${quote(unit)} ${properties.map((p) => `-p ${p}`).join(' ')}`);
    if (shown.code !== 0) throw new Error(`systemctl show ${unit}: ${shown.stderr}`);
    return Object.fromEntries(shown.stdout.trim().split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
  }

  /** Copy a file from the host into the system; returns its path inside. */
  async put(path: string, text: string | Buffer): Promise<string> {
    await mkdir(join(this.dir, path, '..'), { recursive: true });
    await writeFile(join(this.dir, path), text);
    return path;
  }

  read(path: string): string {
    return readFileSync(join(this.dir, path), 'utf8');
  }

  /** Shut the system down (on SIGTERM nspawn asks its init to power off), then remove the root. */
  async dispose(): Promise<void> {
    if (this.nspawn.exitCode === null && this.nspawn.signalCode === null) {
      this.nspawn.kill('SIGTERM');
      const timer = setTimeout(() => this.nspawn.kill('SIGKILL'), 60_000);
      await this.exited;
      clearTimeout(timer);
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}
