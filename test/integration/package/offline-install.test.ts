/**
 * The offline bundle on a fresh Debian 12 (debootstrap minbase) with no
 * network: install.sh checks the signature and installs; the daemon runs as
 * its unit runs it (user sugar-server, the unit's environment) and laptops
 * register, activate and back up with sugaroid; then the next release's bundle
 * upgrades it over that data, and every laptop, lease and backup is still there.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { generateJournal, Laptop } from 'sugaroid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  activation, BASE_CONFIG, DebianRoot, makeLease, PREVIOUS_VERSION, releaseBuild, runCommand, skipWithout, type ReleaseBuild,
  type DaemonProcess,
} from '../../harness/index.js';

const TOOLS = ['/usr/bin/dpkg-deb', '/usr/sbin/debootstrap', '/usr/bin/unshare', '/usr/bin/apt-get'];
const OLD = PREVIOUS_VERSION;

/** Loopback and free ports; the plugins a school runs; host keys take a while on a busy machine. */
const TEST_DROP_IN = `${BASE_CONFIG.replace(/^plugin_dirs = .*\n/m, '').replace(/^start_timeout = .*$/m, 'start_timeout = 30s')}
[plugins]
registry = on
backup = on
leases = on
[registry]
port = 0
address = 127.0.0.1
[backup]
ssh_port = 0
max_load = 1000
[leases]
port = 0
address = 127.0.0.1
`;

describe.skipIf(skipWithout(TOOLS.every((tool) => existsSync(tool))))('the offline bundle on a fresh Debian 12', () => {
  let work: string;
  let previous: ReleaseBuild;
  let current: ReleaseBuild;
  let root: DebianRoot;
  let daemon: DaemonProcess | undefined;
  const laptops = [Laptop.create(), Laptop.create()];

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'sugar-server-test-'));
    // The release before this one, numbered below it, from the same tree; both signed by the run's feed key.
    [previous, current, root] = await Promise.all([releaseBuild('previous'), releaseBuild('current'), DebianRoot.create()]);
    await root.put('/root/deployment.pub', current.signKeyPub);
    for (const build of [previous, current]) await root.put(`/root/${basename(build.bundle!)}`, await readFile(build.bundle!));
  }, 1_500_000);

  afterAll(async () => {
    await daemon?.stop();
    await root?.dispose();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const unpack = (build: ReleaseBuild) => `cd /root && tar -xzf ${basename(build.bundle)} && cd ${basename(build.bundle, '.tar.gz')}`;

  async function admin(path: string, init: RequestInit = {}): Promise<Response> {
    const token = (await readFile(join(root.dir, 'etc/sugar-server/admin.token'), 'utf8')).trim();
    return daemon!.fetch(path, { ...init, headers: { ...(init.headers as Record<string, string>), Authorization: `Bearer ${token}` } });
  }

  async function ports() {
    const status = await daemon!.status();
    const listener = (service: string, name: string) => daemon!.plugin(status, service)!.listeners.find((l) => l.name === name)!.port;
    return { registration: `http://127.0.0.1:${listener('registry', 'registration')}/`, httpPort: Number(new URL(daemon!.url).port), sshPort: listener('backup', 'ssh') };
  }

  it('refuses a bundle it cannot check against the deployment key', async () => {
    const unsigned = await root.run(`${unpack(previous)} && ./install.sh`);
    expect(unsigned.code).toBe(1);
    expect(unsigned.stderr).toContain('this bundle is signed; give the deployment\'s public key with --key FILE');
    const wrongKey = await root.run(`${unpack(previous)} && echo "ed25519 $(head -c 32 /dev/urandom | base64 -w0) other" > /root/other.pub && ./install.sh --key /root/other.pub`);
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toMatch(/SHA256SUMS is not signed by a key in \/root\/other\.pub: signed by [0-9a-f]{16}, none of them a trusted key/);
    expect((await root.run('dpkg-query --show sugar-server')).code).not.toBe(0);
  });

  it('installs with no network, the daemon\'s user and folders included', async () => {
    // Only the loopback interface exists where install.sh runs.
    const install = await root.run(`grep -c : /proc/net/dev && ${unpack(previous)} && ./install.sh --key /root/deployment.pub`, { timeoutMs: 600_000 });
    expect(install.stderr).not.toMatch(/^E: /m);
    expect(install.code, install.stdout + install.stderr).toBe(0);
    expect(install.stdout.split('\n')[0]).toBe('1');
    expect(install.stdout).toContain('SHA256SUMS signed by deployment');
    expect(install.stdout).toContain(`sugar-server ${OLD} is installed.`);
    const installed = await root.run("dpkg-query --show --showformat='${Package} ${Version}\\n' sugar-server rsync sugar-server-node");
    const versions = Object.fromEntries(installed.stdout.trim().split('\n').map((line) => line.split(' ')));
    expect(versions).toEqual({ 'sugar-server': OLD, 'sugar-server-node': process.versions.node, rsync: expect.any(String) });
    const facts = await root.run('getent passwd sugar-server && stat -c "%U %a" /var/lib/sugar-server /etc/sugar-server');
    const [passwd, dataDir, etcDir] = facts.stdout.trim().split('\n');
    expect(passwd).toMatch(/^sugar-server:x:\d+:\d+:.*:\/var\/lib\/sugar-server:\/usr\/sbin\/nologin$/);
    expect(dataDir).toBe('sugar-server 750');
    expect(etcDir).toBe('sugar-server 750');
    // The bundled runtime, not a system node (the minimal Debian has none).
    expect((await root.run('command -v node || echo none')).stdout.trim()).toBe('none');
  }, 600_000);

  it('runs as its unit does, as sugar-server, and laptops register, activate and back up', async () => {
    await root.put('/etc/sugar-server/conf.d/50-test.conf', TEST_DROP_IN);
    daemon = await root.startDaemon();
    const status = await daemon.status();
    expect(status.server.version).toBe(OLD);
    expect(['registry', 'backup', 'leases'].map((s) => daemon!.plugin(status, s)?.state)).toEqual(['running', 'running', 'running']);
    const uid = (await readFile(`/proc/${daemon.child.pid}/status`, 'utf8')).match(/^Uid:\s+(\d+)/m)![1];
    expect(uid).toBe((await root.run('id -u sugar-server')).stdout.trim());

    const { registration, httpPort, sshPort } = await ports();
    expect((await admin('/leases/v1/bundles', { method: 'POST', body: laptops.map((l) => makeLease(l)).join('') })).status).toBe(200);
    for (const [i, laptop] of laptops.entries()) {
      expect(await laptop.register(registration)).toMatchObject({ success: 'OK' });
      expect(await activation(daemon, laptop)).toBe('lease');
      const journal = join(work, `laptop-${i}`, 'datastore');
      await generateJournal(journal, { bytes: 64 * 1024, entries: 4 });
      await laptop.backup('127.0.0.1', { httpPort, sshPort, journal, backoffBaseMs: 50 });
    }
    // Written by the daemon as its own user: the stores and laptops' backups.
    const owners = await root.run('find /var/lib/sugar-server /etc/sugar-server/admin.token ! -user sugar-server -print');
    expect(owners.stdout).toBe('');
  }, 300_000);

  it('lets squid\'s blacklists helper, run as proxy, read the configuration and the index, never the admin token', async () => {
    // What systemd-tmpfiles does at boot and in postinst on a system with systemd (this root has none).
    const tmpfiles = await runCommand('systemd-tmpfiles', ['--create', `--root=${root.dir}`, 'sugar-server.conf']);
    expect(tmpfiles.code, tmpfiles.stderr).toBe(0);
    const asProxy = (command: string) => root.run(`setpriv --reuid=proxy --regid=proxy --clear-groups --no-new-privs sh -c '${command}'`);
    expect((await asProxy('ls /var/lib/sugar-server/blacklists/index && cat /etc/sugar-server/sugar-server.conf >/dev/null')).code).toBe(0);
    const token = await asProxy('cat /etc/sugar-server/admin.token');
    expect(token.code).not.toBe(0);
    expect(token.stderr).toContain('Permission denied');
    expect((await asProxy('ls /var/lib/sugar-server/stores')).code).not.toBe(0);
    const helper = await asProxy('echo "0 http://example.org/ 127.0.0.1/- - GET" | sugar-server blacklists helper');
    expect(helper.code, helper.stderr).toBe(0);
    expect(helper.stdout).toBe('0 OK status=302 url="http://schoolserver/blocked?url=http%3A%2F%2Fexample.org%2F&reason=unavailable"\n');
  });

  it('upgrades to the next release over that data: config, keys, token, laptops, leases and backups remain', async () => {
    const before = await root.run('cat /etc/sugar-server/admin.token /etc/sugar-server/backup-ssh-host-ed25519-key /etc/sugar-server/conf.d/50-test.conf | sha256sum');
    const snapshots = await Promise.all(laptops.map(async (l) => ((await (await admin(`/backup/v1/laptops/${l.serial}/snapshots`)).json()) as { snapshots: unknown[] }).snapshots));
    expect(snapshots.map((s) => s.length)).toEqual([1, 1]);
    expect(await daemon!.stop()).toBe(0);
    daemon = undefined;

    const upgrade = await root.run(`${unpack(current)} && ./install.sh --key /root/deployment.pub`, { timeoutMs: 600_000 });
    expect(upgrade.code, upgrade.stdout + upgrade.stderr).toBe(0);
    expect(upgrade.stdout).toContain(`Unpacking sugar-server (0.1.0) over (${OLD}) ...`);
    expect((await root.run('cat /etc/sugar-server/admin.token /etc/sugar-server/backup-ssh-host-ed25519-key /etc/sugar-server/conf.d/50-test.conf | sha256sum')).stdout).toBe(before.stdout);

    daemon = await root.startDaemon();
    expect((await daemon.status()).server.version).toBe('0.1.0');
    for (const [i, laptop] of laptops.entries()) {
      const record = await admin(`/registry/v1/laptops/${laptop.serial}`);
      expect(record.status, laptop.serial).toBe(200);
      expect(await activation(daemon, laptop)).toBe('lease');
      const after = ((await (await admin(`/backup/v1/laptops/${laptop.serial}/snapshots`)).json()) as { snapshots: unknown[] }).snapshots;
      expect(after, `laptop ${i}`).toEqual(snapshots[i]);
    }
    expect((await stat(join(root.dir, 'var/lib/sugar-server'))).mode & 0o777).toBe(0o750);
  }, 600_000);
});
