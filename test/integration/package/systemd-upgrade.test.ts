/**
 * The package under a real systemd: a Debian 12 booted with systemd as its
 * PID 1 (systemd-nspawn, no network but its own loopback). The previous
 * release installs, systemd enables and starts the shipped unit (Type=notify,
 * user sugar-server, hardened), laptops register, activate and back up on the
 * real ports; then `dpkg -i` of this release upgrades it while a laptop keeps
 * asking: held back with 503 and Retry-After while files change, leases still
 * given on port 191, and the new version answering afterwards, restarted by
 * the package, with maintenance off and every laptop's data kept. Then an
 * upgrade under an admin's maintenance, a reload and the watchdog as systemd
 * sees them, and a purge.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Laptop } from 'sugaroid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYMENT_KEY, makeLease, PREVIOUS_VERSION, releaseBuild, skipWithout, until, type ReleaseBuild } from '../../harness/index.js';
import { BootedDebian } from './booted-debian.js';

const TOOLS = ['/usr/bin/dpkg-deb', '/usr/sbin/debootstrap', '/usr/bin/systemd-nspawn', '/usr/bin/nsenter'];
const OLD = PREVIOUS_VERSION;
const NEW = '0.1.0';
const DRIVER = fileURLToPath(new URL('./laptops-in-system.ts', import.meta.url));

/** The plugins a school runs, on their real ports; the load check off (the test machine is busy). */
const DROP_IN = `[core]
start_timeout = 30s
[plugins]
registry = on
backup = on
leases = on
[backup]
max_load = 1000
`;

interface Sample {
  at: number;
  available: number | string;
  retryAfter: string | null;
  code?: string;
  version?: string;
  maintenance?: boolean;
  lease: string;
}

/** How long, from a laptop's side, each part of the upgrade lasted: printed, never asserted on. */
function timeline(rounds: Sample[]): string {
  const span = (test: (r: Sample) => boolean) => {
    const first = rounds.findIndex(test);
    if (first < 0) return 0;
    let last = first;
    while (last + 1 < rounds.length && test(rounds[last + 1]!)) last++;
    return ((rounds[last + 1] ?? rounds[last]!).at - rounds[first]!.at) / 1000;
  };
  const heldBack = rounds.filter((r) => r.code === 'SERVER_ERR_MAINTENANCE');
  const seconds = (from?: Sample, to?: Sample) => (from && to ? (to.at - from.at) / 1000 : 0);
  return `upgrade seen by a laptop: in maintenance (503) ${seconds(heldBack[0], heldBack.at(-1)).toFixed(1)} s in all, ` +
    `old version ${seconds(heldBack.find((r) => r.version === OLD), heldBack.findLast((r) => r.version === OLD)).toFixed(1)} s, ` +
    `new version ${seconds(heldBack.find((r) => r.version === NEW), heldBack.findLast((r) => r.version === NEW)).toFixed(1)} s; ` +
    `nothing answered on HTTP for ${span((r) => typeof r.available === 'string').toFixed(1)} s, on port 191 for ${span((r) => r.lease !== 'lease').toFixed(1)} s`;
}

describe.skipIf(skipWithout(TOOLS.every((tool) => existsSync(tool))))('the package under a booted systemd', () => {
  let work: string;
  let previous: ReleaseBuild;
  let current: ReleaseBuild;
  let system: BootedDebian;
  const laptops = [Laptop.create(), Laptop.create()];
  let job: { token: string; publicKey: string; laptops: unknown[] };

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'sugar-server-test-'));
    [previous, current, system] = await Promise.all([
      releaseBuild('previous'),
      releaseBuild('current'),
      BootedDebian.boot(),
    ]);
    await system.put(`/root/${basename(previous.bundle)}`, await readFile(previous.bundle));
    await system.put(`/root/${basename(current.deb)}`, await readFile(current.deb));
    await system.put('/root/deployment.pub', previous.signKeyPub);
  }, 1_500_000);

  afterAll(async () => {
    await system?.dispose();
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** One laptops-in-system.ts run in the system's network, its JSON answer parsed. */
  function laptopsDo<T>(mode: 'fill' | 'check', extra: object = {}): Promise<T> {
    const child = system.inNetwork(process.execPath, ['--import', 'tsx', DRIVER, mode]);
    return new Promise((resolve, reject) => {
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk));
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk));
      child.on('close', (code) => (code === 0 ? resolve(JSON.parse(stdout) as T) : reject(new Error(`${mode} exited ${code}:\n${stderr}`))));
      child.stdin!.end(JSON.stringify({ ...job, ...extra }));
    });
  }

  /** A laptop asking over and over until stop() closes its input; the rounds it made. */
  function poller(): { first: Promise<Sample>; stop(): Promise<Sample[]> } {
    const child: ChildProcess = system.inNetwork(process.execPath, ['--import', 'tsx', DRIVER, 'poll', JSON.stringify(job)]);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    const first = new Promise<Sample>((resolve, reject) => {
      child.stdout!.on('data', () => stdout.includes('\n') && resolve(JSON.parse(stdout.slice(0, stdout.indexOf('\n'))) as Sample));
      void closed.then((code) => reject(new Error(`poll exited ${code}:\n${stderr}`)));
    });
    return {
      first,
      async stop() {
        child.stdin!.end();
        const code = await closed;
        if (code !== 0) throw new Error(`poll exited ${code}:\n${stderr}`);
        return stdout.trim().split('\n').map((line) => JSON.parse(line) as Sample);
      },
    };
  }

  const service = (...properties: string[]) => system.show('sugar-server.service', properties);
  /** Uid and effective capabilities of the unit's main process, read inside the system. */
  const mainProcess = async (pid: string) => (await system.run(`grep -E '^(Uid|CapEff):' /proc/${pid}/status`)).stdout;

  it('installs the previous release: systemd enables and starts the hardened unit, which runs as sugar-server', async () => {
    await system.put('/etc/sugar-server/conf.d/50-test.conf', DROP_IN);
    const bundle = basename(previous.bundle, '.tar.gz');
    const install = await system.run(`cd /root && tar -xzf ${bundle}.tar.gz && cd ${bundle} && ./install.sh --key /root/deployment.pub`, { timeoutMs: 600_000 });
    expect(install.code, install.stdout + install.stderr).toBe(0);
    expect(install.stdout).toContain(`sugar-server ${OLD} is installed.`);

    expect((await system.run('systemctl is-enabled sugar-server.service')).stdout.trim()).toBe('enabled');
    // Type=notify: "active" only once the daemon said READY=1.
    const unit = await service('ActiveState', 'SubState', 'MainPID', 'NRestarts', 'StatusText');
    expect(unit).toMatchObject({ ActiveState: 'active', SubState: 'running', NRestarts: '0' });
    const uid = (await system.run('id -u sugar-server')).stdout.trim();
    // Only CAP_NET_BIND_SERVICE (bit 10) of all root's powers.
    expect(await mainProcess(unit.MainPID!)).toMatch(new RegExp(`^Uid:\\s+${uid}\\s+${uid}\\s+${uid}\\s+${uid}\\nCapEff:\\s+0000000000000400\\n$`));

    const token = system.read('/etc/sugar-server/admin.token').trim();
    job = { token, publicKey: DEPLOYMENT_KEY.publicKey.export({ type: 'spki', format: 'pem' }).toString(), laptops: laptops.map((l) => l.identity) };
    const filled = await laptopsDo<{ registered: string; activation: string }[]>('fill', {
      leases: laptops.map((l) => makeLease(l)),
      journals: laptops.map((_, i) => join(work, `laptop-${i}`, 'datastore')),
    });
    expect(filled.map((l) => [l.registered, l.activation])).toEqual([['OK', 'lease'], ['OK', 'lease']]);
  }, 900_000);

  it('upgrades with dpkg -i: maintenance on while files change, leases still given, the new version restarted by the package', async () => {
    const before = await laptopsDo<{ snapshots: unknown[] }[]>('check');
    expect(before.map((l) => l.snapshots.length)).toEqual([1, 1]);
    const { MainPID: oldPid } = await service('MainPID');

    const laptop = poller();
    expect(await laptop.first).toMatchObject({ available: 200, version: OLD, lease: 'lease' });
    const upgrade = await system.run(`dpkg -i /root/${basename(current.deb)}`, { timeoutMs: 600_000 });
    const rounds = await laptop.stop();
    console.log(timeline(rounds));
    expect(upgrade.code, upgrade.stdout + upgrade.stderr).toBe(0);
    expect(upgrade.stdout).toContain(`Unpacking sugar-server (${NEW}) over (${OLD}) ...`);

    // Every 503 tells the laptop when to come back: maintenance, or the new daemon's plugins still starting.
    for (const round of rounds.filter((r) => r.available === 503)) {
      expect(round).toMatchObject({ retryAfter: expect.stringMatching(/^\d+$/), code: expect.stringMatching(/^SERVER_ERR_(MAINTENANCE|SERVICE_STARTING)$/) });
    }
    // Held back by maintenance while the old daemon ran over changing files, and by the new one until
    // the package had finished; port 191 gave leases meanwhile.
    const heldBack = rounds.filter((r) => r.code === 'SERVER_ERR_MAINTENANCE');
    expect(heldBack.filter((r) => r.version === OLD).map((r) => r.lease), JSON.stringify(rounds.slice(0, 5))).toContain('lease');
    expect(heldBack.filter((r) => r.version === NEW).map((r) => r.lease)).toContain('lease');
    // Never let in while the package changed: after maintenance began, only the new version answers 200.
    const letIn = rounds.slice(rounds.indexOf(heldBack[0]!)).filter((r) => r.available === 200);
    expect(letIn.filter((r) => r.version !== NEW)).toEqual([]);

    const after = await service('ActiveState', 'SubState', 'MainPID', 'NRestarts');
    expect(after).toMatchObject({ ActiveState: 'active', SubState: 'running', NRestarts: '0' });
    expect(after.MainPID).not.toBe(oldPid);
    const status = await system.run('sugar-server status --json');
    expect((JSON.parse(status.stdout) as { server: { version: string } }).server.version, status.stderr).toBe(NEW);
    expect((await system.run('runuser -u sugar-server -- sugar-server maintenance status')).stdout).toBe('maintenance: off\n');
    expect((await system.run('test -e /run/sugar-server-upgrade')).code).not.toBe(0);

    const kept = await laptopsDo<{ available: number; record: number; activation: string; snapshots: unknown[] }[]>('check');
    expect(kept.map((l) => [l.available, l.record, l.activation])).toEqual([[200, 200, 'lease'], [200, 200, 'lease']]);
    expect(kept.map((l) => l.snapshots)).toEqual(before.map((l) => l.snapshots));
  }, 900_000);

  it('leaves maintenance on through an upgrade when an admin had turned it on', async () => {
    const admin = (command: string) => system.run(`runuser -u sugar-server -- sugar-server maintenance ${command}`);
    expect((await admin('on --reason "moving the server"')).code).toBe(0);
    const { MainPID: pid } = await service('MainPID');
    // The same release again: dpkg runs preinst upgrade and postinst configure as for a newer one.
    const again = await system.run(`dpkg -i /root/${basename(current.deb)}`, { timeoutMs: 600_000 });
    expect(again.code, again.stdout + again.stderr).toBe(0);
    const unit = await service('ActiveState', 'MainPID');
    expect(unit.ActiveState).toBe('active');
    expect(unit.MainPID).not.toBe(pid);
    expect((await admin('status')).stdout).toMatch(/^maintenance: on since \S+ \(moving the server\)/);
    expect((await admin('off')).stdout).toBe('maintenance: off\n');
  }, 600_000);

  it('reloads on systemctl reload without a restart: RELOADING=1 then READY=1', async () => {
    const { MainPID: pid } = await service('MainPID');
    await system.put('/etc/sugar-server/conf.d/60-activities.conf', '[plugins]\nactivities = on\n');
    const reload = await system.run('systemctl reload sugar-server.service');
    expect(reload.code, reload.stderr).toBe(0);
    // A RELOADING=1 never followed by READY=1 would leave the unit "reloading".
    await until(() => service('ActiveState'), (unit) => unit.ActiveState === 'active', 'the unit back to active');
    const unit = await service('ActiveState', 'MainPID', 'StatusText');
    expect(unit.MainPID).toBe(pid);
    expect(unit.StatusText).not.toBe('reloading the configuration');
    const plugins = await system.run('runuser -u sugar-server -- sugar-server plugins list');
    expect(plugins.stdout).toMatch(/^activities\s.*\son\s+running/m);
  });

  it('pings the watchdog while its event loop turns', async () => {
    // The shipped 60 s made short by an admin's drop-in, so pings come every second.
    await system.put('/etc/systemd/system/sugar-server.service.d/watchdog.conf', '[Service]\nWatchdogSec=2s\n');
    expect((await system.run('systemctl daemon-reload && systemctl restart sugar-server.service')).code).toBe(0);
    const first = (await service('WatchdogTimestampMonotonic')).WatchdogTimestampMonotonic;
    await until(() => service('WatchdogTimestampMonotonic'), (unit) => unit.WatchdogTimestampMonotonic !== first, 'a watchdog ping', 30_000);
    expect(await service('ActiveState', 'NRestarts', 'WatchdogUSec')).toEqual({ ActiveState: 'active', NRestarts: '0', WatchdogUSec: '2s' });
  }, 120_000);

  it('stops when removed, and a purge keeps the laptops\' backups', async () => {
    const backups = await system.run('find /var/lib/sugar-server -name "datastore-*" | sort');
    for (const laptop of laptops) expect(backups.stdout).toContain(`/${laptop.serial}/datastore-`);
    const purge = await system.run('dpkg --purge sugar-server', { timeoutMs: 120_000 });
    expect(purge.code, purge.stdout + purge.stderr).toBe(0);
    expect(await service('ActiveState', 'MainPID')).toEqual({ ActiveState: 'inactive', MainPID: '0' });
    expect((await system.run('systemctl is-enabled sugar-server.service')).code).not.toBe(0);
    expect((await system.run('ls /etc/sugar-server/admin.token')).code).not.toBe(0);
    expect((await system.run('find /var/lib/sugar-server -name "datastore-*" | sort')).stdout).toBe(backups.stdout);
  });
});
