/**
 * A daemon running the registry and backup plugins for the backup suite, on
 * free loopback ports, with what a test needs to reach it as laptops and as
 * the admin do.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LaptopSummary, SnapshotInfo } from 'sugar-server-backup';
import type { Laptop } from 'sugaroid';
import { BASE_CONFIG, DaemonProcess, makeRoot, type StartOptions } from '../../harness/index.js';

/**
 * The load-average limit is lifted: the machine's load (other suites, other
 * daemons) is not what these tests are about; one test sets its own limits.
 */
export const BACKUP_CONFIG = '[plugins]\nregistry = on\nbackup = on\n[registry]\nport = 0\naddress = 127.0.0.1\n[backup]\nssh_port = 0\nmax_load = 1000\n';

/** The first start makes the SSH host keys (RSA 3072 takes a second or more on a busy machine): more than the harness's 2 s. */
const CORE_CONFIG = BASE_CONFIG.replace(/^start_timeout = .*$/m, 'start_timeout = 15s');

export class BackupServer {
  private constructor(
    readonly daemon: DaemonProcess,
    /** The XML-RPC registration URL, as `http://schoolserver:8080/`. */
    readonly registration: string,
    readonly httpPort: number,
    readonly sshPort: number,
    private readonly token: string,
  ) {}

  /** Start a daemon (or restart one on `root`) and read its ports; `options(root)` may wrap its command line. */
  static async start(extra = '', root?: string, options: (root: string) => StartOptions = () => ({})): Promise<BackupServer> {
    const at = root ?? (await makeRoot({ baseConfig: CORE_CONFIG, config: BACKUP_CONFIG + extra }));
    const daemon = await DaemonProcess.startIn(at, options(at));
    const status = await daemon.status();
    const backup = daemon.plugin(status, 'backup');
    const registry = daemon.plugin(status, 'registry');
    const ssh = backup?.listeners.find((l) => l.name === 'ssh');
    const registration = registry?.listeners.find((l) => l.name === 'registration');
    if (backup?.state !== 'running' || !ssh || !registration) {
      await daemon.dispose();
      throw new Error(`backup not running: ${JSON.stringify(backup)}`);
    }
    const token = (await readFile(join(daemon.root, 'etc/sugar-server/admin.token'), 'utf8')).trim();
    return new BackupServer(daemon, `http://127.0.0.1:${registration.port}/`, Number(new URL(daemon.url).port), ssh.port, token);
  }

  /** Where laptops' folders are. */
  get users(): string {
    return join(this.daemon.root, 'var/lib/sugar-server/backup/users');
  }

  async register(laptop: Laptop): Promise<void> {
    const answer = await laptop.register(this.registration);
    if (answer.success !== 'OK') throw new Error(`registration refused: ${answer.error}`);
  }

  /** The options every ds-backup run here takes. */
  ports(): { httpPort: number; sshPort: number } {
    return { httpPort: this.httpPort, sshPort: this.sshPort };
  }

  admin(path: string): Promise<Response> {
    return this.daemon.fetch(path, { headers: { Authorization: `Bearer ${this.token}` } });
  }

  async adminJson<T>(path: string): Promise<T> {
    const response = await this.admin(path);
    if (!response.ok) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as T;
  }

  async snapshots(serial: string): Promise<SnapshotInfo[]> {
    return (await this.adminJson<{ snapshots: SnapshotInfo[] }>(`/backup/v1/laptops/${serial}/snapshots`)).snapshots;
  }

  async laptop(serial: string): Promise<LaptopSummary> {
    return this.adminJson<LaptopSummary>(`/backup/v1/laptops/${serial}`);
  }

  /** The backup plugin's SSH process, as /status shows it (its figures are at most a second old). */
  async sshProcess(): Promise<{ pid: number | null; restarts: number }> {
    const details = this.daemon.plugin(await this.daemon.status(), 'backup')?.details as { sshProcess?: { pid: number | null; restarts: number } } | undefined;
    if (!details?.sshProcess) throw new Error('/status shows no SSH process for backup');
    return details.sshProcess;
  }

  /** Snapshots are made after the completion copy ends; wait for the one that says so. */
  async waitForBackup(serial: string, after: string | null): Promise<LaptopSummary> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const summary = await this.laptop(serial).catch(() => null);
      if (summary?.lastBackup && summary.lastBackup !== after) return summary;
      if (Date.now() > deadline) throw new Error(`no new backup of ${serial} recorded`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
