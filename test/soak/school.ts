/**
 * The school's sugar-server with every plugin on, mirroring the Mothership,
 * on free loopback ports: where laptops reach each service, and what the
 * admin does to it during the day (a USB lease import, reloads).
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BASE_CONFIG, DAEMON_MAIN, DaemonProcess, runCommand, type StatusDoc } from '../harness/index.js';
import type { Mothership } from './mothership.js';
import type { DayPlan } from './plan.js';

/** How often the school asks the Mothership for a new version: often, so a day in minutes sees it follow. */
const UPSTREAM_INTERVAL = '1s';
/** The first start makes the backup SSH host keys (RSA 3072 takes seconds on a busy machine). */
const CORE_CONFIG = BASE_CONFIG.replace(/^start_timeout = .*$/m, 'start_timeout = 30s');
const SERVICES = ['registry', 'leases', 'activities', 'backup', 'blacklists'];

export class School {
  private constructor(
    readonly daemon: DaemonProcess,
    private readonly token: string,
    /** `http://127.0.0.1:<port>/`, the XML-RPC registration URL. */
    readonly registration: string,
    readonly activationPort: number,
    readonly sshPort: number,
  ) {}

  static async start(workdir: string, mothership: Mothership, plan: DayPlan, cpuProfileDir?: string): Promise<School> {
    const publicKey = join(workdir, 'deployment-public.pem');
    const daemon = await DaemonProcess.start({
      ...(cpuProfileDir ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`] } : {}),
      baseConfig: CORE_CONFIG,
      config: [
        '[plugins]', ...SERVICES.map((service) => `${service} = on`),
        '[registry]', 'port = 0', 'address = 127.0.0.1',
        '[leases]', 'port = 0', 'address = 127.0.0.1', `public_key = ${publicKey}`,
        `upstream = ${mothership.feed('leases')}`, `upstream_interval = ${UPSTREAM_INTERVAL}`,
        '[activities]', `upstream = ${mothership.feed('activities')}`, `upstream_interval = ${UPSTREAM_INTERVAL}`,
        '[blacklists]', `upstream = ${mothership.feed('blacklists')}`, `upstream_interval = ${UPSTREAM_INTERVAL}`,
        'categories = adult, malware',
        // The soak's own laptops load this machine far past the old XS's load limit of 5; the
        // limit under test is the one on laptops let in per window. That window lets in half a
        // wave per 5 s (the default is 10 laptops per 5 minutes), more SSH connections at once
        // than the default max_connections (64) allows: lifted too.
        '[backup]', 'ssh_port = 0', 'max_load = 1000', 'max_connections = 1000',
        `max_clients = ${plan.maxClients}`, `client_window = ${plan.clientWindowMs}ms`,
      ].join('\n'),
    });
    try {
      const status = await daemon.status();
      const notRunning = SERVICES.filter((service) => daemon.plugin(status, service)?.state !== 'running');
      if (notRunning.length) throw new Error(`the school's ${notRunning.join(', ')} did not start: ${JSON.stringify(status.plugins.filter((p) => notRunning.includes(p.service)))}`);
      const port = (service: string, name: string) => daemon.plugin(status, service)!.listeners.find((l) => l.name === name)!.port;
      const token = (await readFile(join(daemon.root, 'etc/sugar-server/admin.token'), 'utf8')).trim();
      return new School(daemon, token, `http://127.0.0.1:${port('registry', 'registration')}/`, port('leases', 'activation'), port('backup', 'ssh'));
    } catch (err) {
      await daemon.dispose();
      throw err;
    }
  }

  get httpPort(): number {
    return Number(new URL(this.daemon.url).port);
  }

  /** The microformat page Sugar's updater is pointed at. */
  get activityPage(): string {
    return `${this.daemon.url}/activities/`;
  }

  get aslo(): string {
    return `${this.daemon.url}/services/update-aslo.php`;
  }

  /** Where laptops' backups are kept. */
  get backups(): string {
    return join(this.daemon.root, 'var/lib/sugar-server/backup/users');
  }

  async admin<T>(path: string): Promise<T> {
    const response = await this.daemon.fetch(path, { headers: { Authorization: `Bearer ${this.token}` } });
    if (!response.ok) throw new Error(`${path} answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
    return (await response.json()) as T;
  }

  /**
   * The admin imports a USB stick's `xs-activation` folder (`leases.sig` and
   * `manifest.sha1`) with `sugar-server leases import`; rejects when anything was refused.
   */
  async importUsbLeases(workdir: string, bundle: string): Promise<void> {
    const folder = join(workdir, 'usb/xs-activation');
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, 'leases.sig'), bundle);
    await writeFile(join(folder, 'manifest.sha1'), `${createHash('sha1').update(bundle).digest('hex')}  leases.sig\n`);
    // A CLI process starting on a machine busy with a school's worth of laptops can take a while.
    const result = await runCommand(process.execPath, [DAEMON_MAIN, 'leases', 'import', folder, '--json', '--root', this.daemon.root], { timeoutMs: 120_000 });
    if (result.code !== 0) throw new Error(`sugar-server leases import exited ${result.code}: ${result.stderr.trim() || result.stdout.trim()}`);
  }

  /**
   * Write a drop-in and reload (SIGHUP), as an admin does, and wait until
   * every service runs again; resolves with the status once they do.
   */
  async reloadWith(dropIn: string, text: string): Promise<StatusDoc> {
    await writeFile(join(this.daemon.root, 'etc/sugar-server/conf.d', dropIn), text);
    const reloaded = await this.daemon.reload();
    if (reloaded.server.config.lastError) throw new Error(`the reload was refused: ${reloaded.server.config.lastError}`);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const status = await this.daemon.status();
      if (SERVICES.every((service) => this.daemon.plugin(status, service)?.state === 'running')) return status;
      if (Date.now() > deadline) throw new Error(`after the reload not every service ran again: ${JSON.stringify(status.plugins.map((p) => [p.service, p.state]))}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Stop as an admin's systemd would (SIGTERM, so a CPU profile is written), then remove the school. */
  async dispose(): Promise<void> {
    await this.daemon.stop('SIGTERM');
    await this.daemon.dispose();
  }
}
