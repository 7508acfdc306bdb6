/**
 * The .deb a school installs: what it carries, what lintian says of it, and
 * its unit as systemd reads it (verify, and the security exposure score).
 */
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseBuild, REPO, runCommand, skipWithout } from '../../harness/index.js';

const TOOLS = ['/usr/bin/dpkg-deb', '/usr/bin/lintian', '/usr/bin/systemd-analyze'];
const UNIT = 'lib/systemd/system/sugar-server.service';

describe.skipIf(skipWithout(TOOLS.every((tool) => existsSync(tool))))('sugar-server_<version>_amd64.deb', () => {
  let work: string;
  let deb: string;
  let tree: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'sugar-server-test-'));
    ({ deb } = await releaseBuild('current'));
    tree = join(work, 'tree');
    const unpacked = await runCommand('dpkg-deb', ['-x', deb, tree]);
    expect(unpacked.code, unpacked.stderr).toBe(0);
  }, 600_000);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('is named for the core version and declares what a school server needs', async () => {
    expect(deb).toMatch(/\/sugar-server_0\.1\.0_amd64\.deb$/);
    const fields = (await runCommand('dpkg-deb', ['--field', deb, 'Depends', 'Recommends'])).stdout;
    expect(fields).toContain('Depends: nodejs (>= 20.19) | sugar-server-node (>= 20.19), rsync, tar (>= 1.30), adduser, procps');
    expect(fields).toContain('Recommends: squid');
    expect((await runCommand('dpkg-deb', ['--info', deb, 'conffiles'])).stdout.trim()).toBe('/etc/sugar-server/sugar-server.conf');
  });

  it('carries the built app with production dependencies only, and the files around it', async () => {
    const listing = (await runCommand('dpkg-deb', ['--contents', deb], { timeoutMs: 60_000 })).stdout;
    const paths = listing.split('\n').map((line) => line.split(/\s+/).pop()!.replace(/^\.\//, '/'));
    for (const path of [
      '/usr/bin/sugar-server',
      '/usr/lib/sugar-server/core/dist/main.js',
      '/usr/lib/sugar-server/plugins/leases/dist/index.js',
      '/usr/lib/sugar-server/node_modules/koa/package.json',
      '/etc/sugar-server/sugar-server.conf',
      '/etc/sugar-server/conf.d/',
      `/${UNIT}`,
      '/lib/systemd/system/sugar-server-feeds-import@.service',
      '/usr/lib/sysusers.d/sugar-server.conf',
      '/usr/lib/tmpfiles.d/sugar-server.conf',
      '/usr/share/man/man8/sugar-server.8.gz',
      '/usr/share/doc/sugar-server/copyright',
    ]) expect(paths, path).toContain(path);
    // Nothing of development: no compiler, test runner, tests or source maps.
    expect(paths.filter((p) => /node_modules\/(typescript|vitest|tsx|fast-check)\/|\.test\.js$|\.map$|\/sugaroid\//.test(p))).toEqual([]);
  });

  it('passes lintian, each override with its reason', async () => {
    const lint = await runCommand('lintian', ['--fail-on', 'error,warning', deb], { timeoutMs: 300_000 });
    expect(lint.stdout.split('\n').filter((line) => /^[EW]: /.test(line))).toEqual([]);
    expect(lint.code).toBe(0);
  }, 300_000);

  it('has a man page made from the CLI help, naming every command', async () => {
    const page = await runCommand('sh', ['-c', `zcat '${join(tree, 'usr/share/man/man8/sugar-server.8.gz')}'`]);
    expect(page.stdout).toMatch(/^\.TH SUGAR-SERVER 8 /);
    for (const command of ['start', 'status', 'plugins', 'check-config', 'init', 'store', 'maintenance', 'feeds', 'fleet', 'diagnostics']) {
      expect(page.stdout, command).toContain(`.SS ${command}\n.nf\nUsage: sugar-server ${command}`);
    }
  });

  it('has a unit that systemd-analyze verify accepts', async () => {
    // A root holding the package and what the unit names from the system (targets, /bin/kill).
    const root = join(work, 'verify-root');
    await cp(tree, root, { recursive: true });
    // Symlinks kept as links (the .wants/ folders), as systemd expects them.
    expect((await runCommand('cp', ['-a', '/lib/systemd/system/.', join(root, 'lib/systemd/system')])).code).toBe(0);
    for (const tool of ['/bin/kill', '/bin/sh', '/usr/bin/systemd-mount', '/usr/bin/systemd-umount']) {
      await mkdir(join(root, tool, '..'), { recursive: true });
      await cp(tool, join(root, tool), { dereference: true });
    }
    const verify = await runCommand('systemd-analyze', ['verify', '--man=no', `--root=${root}`, `/${UNIT}`]);
    expect(verify.stderr).toBe('');
    expect(verify.code).toBe(0);
  });

  it('runs the daemon unprivileged and hardened: an exposure score of 2.5 or less', async () => {
    const unit = join(tree, UNIT);
    const security = await runCommand('systemd-analyze', ['security', '--offline=yes', '--no-pager', unit]);
    const score = Number(/Overall exposure level for sugar-server\.service: (\d+\.\d)/.exec(security.stdout)?.[1]);
    expect(score, security.stdout.slice(-400)).toBeLessThanOrEqual(2.5);
    expect(security.stdout).toMatch(/✓ User=\/DynamicUser=/);
  });

  it('ships the unit the checkout holds', async () => {
    const shipped = await runCommand('cmp', [join(tree, UNIT), join(REPO, 'etc/systemd/sugar-server.service')]);
    expect(shipped.code).toBe(0);
  });
});
