/**
 * The commands an admin reaches for when something is wrong: `status` with a
 * broken configuration on disk, and `diagnostics`, the archive sent for help.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess, makeRoot, runCommand, DAEMON_MAIN } from '../harness/index.js';

const BROKEN = '[log]\nlevle = debug\n';

describe('sugar-server status', () => {
  let daemon: DaemonProcess;
  beforeAll(async () => {
    daemon = await DaemonProcess.start({ config: '[plugins]\nregistry = on\n[registry]\nport = 0\n' });
  });
  afterAll(() => daemon.dispose());

  it('shows the running daemon when the configuration on disk is broken, and the problem beside it', async () => {
    await writeFile(join(daemon.root, 'etc/sugar-server/conf.d/50-typo.conf'), BROKEN);
    try {
      const run = await daemon.cli('status');
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^sugar-server \S+: running/);
      expect(run.stdout).toMatch(/registry\s+sugar-server-registry\s+\S+\s+running/);
      expect(run.stdout).toContain('the configuration on disk has problems');
      expect(run.stdout).toContain('conf.d/50-typo.conf:2: [log] levle: unknown key');

      const json = JSON.parse((await daemon.cli('status', '--json')).stdout);
      expect(json.server.state).toBe('running');
      expect(json.configOnDisk.ok).toBe(false);
      expect(json.configOnDisk.problems[0]).toContain('50-typo.conf:2');
    } finally {
      await rm(join(daemon.root, 'etc/sugar-server/conf.d/50-typo.conf'));
    }
  });

  it('with the configuration fixed again, says nothing of it', async () => {
    const run = await daemon.cli('status');
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain('problems');
    expect(JSON.parse((await daemon.cli('status', '--json')).stdout).configOnDisk).toEqual({ ok: true, problems: [] });
  });

  it('with no daemon running and a broken configuration, names the problem and exits 78', async () => {
    const root = await makeRoot({ dropIns: { '50-typo.conf': BROKEN } });
    try {
      const run = await runCommand(process.execPath, [DAEMON_MAIN, 'status', '--root', root]);
      expect(run.code).toBe(78);
      expect(run.stderr).toContain('50-typo.conf:2: [log] levle: unknown key');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('sugar-server diagnostics', () => {
  const PASSWORD = 'hunter2-upstream';
  let daemon: DaemonProcess;
  let out: string;
  let files: Map<string, string>;
  let run: { code: number | null; stdout: string; stderr: string };

  beforeAll(async () => {
    daemon = await DaemonProcess.start({
      // Nothing answers on port 9 of loopback: the feed fails, which is what a helper wants to see.
      config: `[plugins]\nregistry = on\nleases = on\n[registry]\nport = 0\n[leases]\nport = 0\nupstream = http://school:${PASSWORD}@127.0.0.1:9/feeds/v1/leases/\n`,
    });
    out = await mkdtemp(join(tmpdir(), 'sugar-server-test-'));
    run = await daemon.cli('diagnostics', '--output', join(out, 'diag.tar.gz'));
    execFileSync('tar', ['-xzf', join(out, 'diag.tar.gz'), '-C', out]);
    const [folder] = (await readdir(out)).filter((name) => name.startsWith('sugar-server-diagnostics-'));
    files = new Map();
    const walk = async (dir: string, prefix: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        if (entry.isDirectory()) await walk(join(dir, entry.name), `${prefix}${entry.name}/`);
        else files.set(`${prefix}${entry.name}`, await readFile(join(dir, entry.name), 'utf8'));
      }
    };
    await walk(join(out, folder!), '');
  });
  afterAll(async () => {
    await daemon.dispose();
    await rm(out, { recursive: true, force: true });
  });

  it('writes one archive, readable by its owner only, and says where', async () => {
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`wrote ${join(out, 'diag.tar.gz')}`);
    expect((await stat(join(out, 'diag.tar.gz'))).mode & 0o777).toBe(0o600);
  });

  it('holds versions, the configuration and what check-config says of it, status, metrics, recent logs and disk space', () => {
    expect([...files.keys()]).toEqual(expect.arrayContaining([
      'versions.txt', 'check-config.txt', 'config/sugar-server.conf', 'status.json', 'metrics.txt', 'daemon-log.jsonl', 'disk.txt', 'MISSING.txt',
    ]));
    expect(files.get('versions.txt')).toMatch(/^sugar-server \d+\.\d+\.\d+/);
    expect(files.get('versions.txt')).toContain(`node ${process.version}`);
    expect(files.get('versions.txt')).toMatch(/leases: sugar-server-leases/);
    expect(files.get('check-config.txt')).toContain('services on: leases, registry');
    const status = JSON.parse(files.get('status.json')!);
    expect(status.plugins.find((p: { service: string }) => p.service === 'leases').state).toBe('running');
    expect(files.get('daemon-log.jsonl')).toContain('sugar-server ready at');
    expect(files.get('disk.txt')).toContain(join(daemon.root, 'var/lib/sugar-server'));
    expect(files.get('metrics.txt')).toContain('# TYPE');
  });

  it('leaves out every secret: URL passwords and the admin token', async () => {
    const token = (await readFile(join(daemon.root, 'etc/sugar-server/admin.token'), 'utf8')).trim();
    for (const [name, text] of files) {
      expect(text, name).not.toContain(PASSWORD);
      expect(text, name).not.toContain(token);
    }
    expect(files.get('config/sugar-server.conf')).toContain('upstream = http://school:<redacted>@127.0.0.1:9/feeds/v1/leases/');
    expect([...files.keys()].some((name) => name.includes('admin.token'))).toBe(false);
  });

  it('without the admin token, still writes the rest and says what it left out', async () => {
    const tokenFile = join(daemon.root, 'etc/sugar-server/admin.token');
    const token = await readFile(tokenFile, 'utf8');
    await rm(tokenFile);
    try {
      const partial = await daemon.cli('diagnostics', '--output', join(out, 'partial.tar.gz'));
      expect(partial.code).toBe(0);
      expect(partial.stderr).toContain('not included: daemon-log.jsonl: the admin token is not readable');
      const listing = execFileSync('tar', ['-tzf', join(out, 'partial.tar.gz')], { encoding: 'utf8' });
      expect(listing).toContain('/status.json');
      expect(listing).not.toContain('daemon-log.jsonl');
    } finally {
      await writeFile(tokenFile, token, { mode: 0o600 });
    }
  });
});
