/**
 * What a new admin or developer meets first: the commands npm links, what a
 * packed package carries, `init`, and the developer setup's ports.
 */
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, runCommand } from '../harness/index.js';

const PACKAGES = ['core', 'sugaroid', 'plugins/activities', 'plugins/backup', 'plugins/blacklists', 'plugins/leases', 'plugins/registry'];

describe('the commands after npm ci', () => {
  it.each([
    ['sugar-server', 'Usage: sugar-server'],
    ['sugaroid', 'Usage: sugaroid'],
  ])('%s is linked into node_modules/.bin and runs the built code', async (command, usage) => {
    const bin = join(REPO, 'node_modules/.bin', command);
    expect(existsSync(bin), `${bin} is linked`).toBe(true);
    const run = await runCommand(bin, ['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(usage);
  });

  it.each([
    ['core/bin/sugar-server.js', 'sugar-server'],
    ['sugaroid/bin/sugaroid.js', 'sugaroid'],
  ])('%s says how to build when the checkout is not built yet', async (launcher, name) => {
    const unbuilt = await mkdtemp(join(tmpdir(), 'sugar-server-test-'));
    try {
      await mkdir(join(unbuilt, 'bin'));
      await copyFile(join(REPO, launcher), join(unbuilt, 'bin/launcher.js'));
      await writeFile(join(unbuilt, 'package.json'), '{"type":"module"}\n');
      const run = await runCommand(process.execPath, [join(unbuilt, 'bin/launcher.js'), '--help']);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(new RegExp(`^${name}: not built yet .*dist/.* run \`npm run build\``));
    } finally {
      await rm(unbuilt, { recursive: true, force: true });
    }
  });
});

describe('a packed package', () => {
  let packed: Map<string, string[]>;

  beforeAll(() => {
    const json = execFileSync('npm', ['pack', '--dry-run', '--json', '--silent', ...PACKAGES.map((p) => `--workspace=${p}`)], { cwd: REPO, encoding: 'utf8', timeout: 120_000 });
    const list = JSON.parse(json) as { name: string; files: { path: string }[] }[];
    packed = new Map(list.map((entry) => [entry.name, entry.files.map((f) => f.path)]));
  }, 120_000);

  it('carries its licence and README, and no build leftovers or tests', () => {
    expect(packed.size).toBe(PACKAGES.length);
    for (const [name, files] of packed) {
      expect(files, name).toContain('LICENSE');
      expect(files, name).toContain('README.md');
      expect(files.filter((f) => /\.map$|tsbuildinfo|\.test\./.test(f)), name).toEqual([]);
    }
  });

  it('of the core carries the shipped configuration and the commands', () => {
    const core = packed.get('sugar-server')!;
    expect(core).toEqual(expect.arrayContaining([
      'etc/sugar-server/sugar-server.conf',
      'etc/systemd/sugar-server.service',
      'etc/systemd/sugar-server-feeds-import@.service',
      'etc/udev/rules.d/90-sugar-server-feeds.rules',
      'bin/sugar-server.js',
      'dist/main.js',
    ]));
    expect(packed.get('sugaroid')).toEqual(expect.arrayContaining(['bin/sugaroid.js', 'dist/cli.js']));
  });

  it('leaves the checkout as it was', () => {
    for (const dir of PACKAGES) expect(existsSync(join(REPO, dir, 'LICENSE')), dir).toBe(false);
    expect(existsSync(join(REPO, 'core/etc'))).toBe(false);
  });
});

describe('sugar-server init from a packed install', () => {
  // Unpacked below the checkout so that the core's own dependencies resolve from its node_modules.
  const place = join(REPO, 'test/.tmp/packed');
  const core = join(place, 'node_modules/sugar-server');
  let root: string;

  beforeAll(async () => {
    await rm(place, { recursive: true, force: true });
    await mkdir(core, { recursive: true });
    const name = execFileSync('npm', ['pack', '--silent', '--workspace=core', `--pack-destination=${place}`], { cwd: REPO, encoding: 'utf8', timeout: 120_000 }).trim();
    execFileSync('tar', ['-xzf', join(place, name), '-C', core, '--strip-components=1']);
    root = await mkdtemp(join(tmpdir(), 'sugar-server-test-'));
  }, 120_000);

  afterAll(async () => {
    await rm(place, { recursive: true, force: true });
    await rm(root, { recursive: true, force: true });
  });

  it('copies the shipped defaults and says what it created, then that nothing was left to do', async () => {
    const first = await runCommand(process.execPath, [join(core, 'bin/sugar-server.js'), 'init', '--root', root]);
    expect(first.code).toBe(0);
    const conf = join(root, 'etc/sugar-server/sugar-server.conf');
    expect(first.stdout.split('\n')).toEqual(expect.arrayContaining([`created ${conf}`, `created ${join(root, 'etc/sugar-server/conf.d')}/`]));
    expect(await readFile(conf, 'utf8')).toBe(await readFile(join(REPO, 'etc/sugar-server/sugar-server.conf'), 'utf8'));

    const again = await runCommand(process.execPath, [join(core, 'bin/sugar-server.js'), 'init', '--root', root]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^nothing to do: /);
  });

  it('says so when it cannot find its defaults', async () => {
    await rm(join(core, 'etc'), { recursive: true });
    const bare = await mkdtemp(join(tmpdir(), 'sugar-server-test-'));
    try {
      const run = await runCommand(process.execPath, [join(core, 'bin/sugar-server.js'), 'init', '--root', bare]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('no shipped configuration to copy');
      expect(run.stderr).toContain(join(core, 'etc/sugar-server/sugar-server.conf'));
      expect(await readdir(join(bare, 'etc/sugar-server'))).toEqual(['conf.d']);
    } finally {
      await rm(bare, { recursive: true, force: true });
    }
  });
});

describe('the developer setup', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'sugar-server-test-'));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('gives every port of every installed plugin that laptops expect below 1024 an unprivileged one', async () => {
    const init = await runCommand(process.execPath, [join(REPO, 'core/dist/main.js'), 'init', '--dev', '--root', root]);
    expect(init.code).toBe(0);
    const devConf = await readFile(join(root, 'etc/sugar-server/conf.d/10-dev.conf'), 'utf8');

    const privileged: string[] = [];
    for (const dir of PACKAGES.filter((p) => p.startsWith('plugins/'))) {
      const manifest = JSON.parse(readFileSync(join(REPO, dir, 'package.json'), 'utf8'));
      const definition = (await import(pathToFileURL(join(REPO, dir, 'dist/index.js')).href)).default;
      for (const [key, option] of Object.entries<{ safeParse(v: unknown): { success: boolean; data?: unknown } }>(definition.config ?? {})) {
        if (!/(^|_)port$/.test(key)) continue;
        const fallback = option.safeParse(undefined);
        if (fallback.success && typeof fallback.data === 'number' && fallback.data > 0 && fallback.data < 1024) privileged.push(`${manifest['sugar-server'].service}.${key}`);
      }
    }
    expect(privileged).toEqual(expect.arrayContaining(['backup.ssh_port', 'leases.port']));
    for (const name of privileged) {
      const [service, key] = name.split('.');
      const section = new RegExp(`^\\[${service}\\]\\n(?:[^[].*\\n)*?${key} = (\\d+)$`, 'm').exec(devConf);
      expect(section, `${name} in the dev drop-in`).not.toBeNull();
      expect(Number(section![1]), name).toBeGreaterThan(1024);
    }
  });

  it('is a configuration the daemon accepts with every service switched on', async () => {
    await writeFile(join(root, 'etc/sugar-server/conf.d/50-all.conf'), '[plugins]\nactivities = on\nbackup = on\nblacklists = on\nleases = on\nregistry = on\n');
    const check = await runCommand(process.execPath, [join(REPO, 'core/dist/main.js'), 'check-config', '--root', root]);
    expect(check.stderr).toBe('');
    expect(check.code).toBe(0);
  });
});
