/**
 * The path of a deployment writing its own plugin outside this repository:
 * the packed core, `sugar-server plugin new` in a folder outside the checkout,
 * an install, a strict build (no skipLibCheck), the generated test, then the
 * packed plugin unpacked into a `plugin_dirs` folder and served by this
 * checkout's daemon.
 *
 * No registry is asked: each install gets a package-lock.json written from
 * the workspace's lock (the versions `npm ci` put in npm's cache) and runs
 * `npm ci --offline`.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { ServerErrors } from 'sugar-server';
import { startTestDaemon } from 'sugar-server/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess, FIXTURE_PLUGINS, REPO } from '../harness/index.js';

const execFileAsync = promisify(execFile);
const NAME = '@myschool/sugar-server-hello';

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [key: string]: unknown;
}

/** Run a command to completion in `cwd`; rejects with its output when it fails. Not under npm's own environment. */
async function run(command: string, args: string[], cwd: string): Promise<string> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith('npm_')));
  try {
    const { stdout } = await execFileAsync(command, args, { cwd, env, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${stdout}\n${stderr}`);
  }
}

/**
 * A package-lock.json for the package in `dir`, which depends on the core as
 * `file:<tarball>`: the core's dependencies and the package's own come from
 * the workspace lock (where the core is `core/`), so `npm ci --offline`
 * installs them from npm's cache.
 */
async function writeLock(dir: string, tarball: string): Promise<void> {
  const workspace = (JSON.parse(await readFile(join(REPO, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> }).packages;
  const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as Record<string, Record<string, string> | string>;
  const packages: Record<string, LockEntry> = {};
  // Node's lookup: the requiring package's own node_modules, then each folder above it.
  const find = (from: string, name: string): string => {
    for (let at = from; ; at = at.includes('/node_modules/') ? at.slice(0, at.lastIndexOf('/node_modules/')) : '') {
      const path = `${at ? `${at}/` : ''}node_modules/${name}`;
      if (workspace[path] && !workspace[path].link) return path;
      if (!at) throw new Error(`${name} (needed by ${from || 'the package'}) is not in the workspace lock`);
    }
  };
  const place = (path: string) => path.replace(/^core(?=\/|$)/, 'node_modules/sugar-server');
  const visit = (from: string, deps: Record<string, string> = {}) => {
    for (const name of Object.keys(deps)) {
      const found = find(from, name);
      if (packages[place(found)]) continue;
      const { dev: _dev, devOptional: _devOptional, peer: _peer, ...entry } = workspace[found]!;
      packages[place(found)] = entry;
      const peers = Object.keys(entry.peerDependencies ?? {}).filter((peer) => !entry.peerDependenciesMeta?.[peer]?.optional);
      visit(found, { ...entry.dependencies, ...entry.optionalDependencies, ...Object.fromEntries(peers.map((peer) => [peer, '*'])) });
    }
  };
  const core = workspace.core!;
  const bytes = await readFile(join(dir, tarball));
  packages['node_modules/sugar-server'] = {
    version: core.version!,
    resolved: `file:${tarball}`,
    integrity: `sha512-${createHash('sha512').update(bytes).digest('base64')}`,
    ...(core.dependencies ? { dependencies: core.dependencies } : {}),
    ...(core.bin ? { bin: core.bin } : {}),
  };
  visit('core', core.dependencies);
  const own = { ...(pkg.dependencies as Record<string, string>), ...(pkg.devDependencies as Record<string, string>) };
  delete own['sugar-server'];
  visit('', own);
  const root = Object.fromEntries(['name', 'version', 'dependencies', 'devDependencies', 'peerDependencies'].filter((key) => pkg[key] !== undefined).map((key) => [key, pkg[key]]));
  await writeFile(join(dir, 'package-lock.json'), `${JSON.stringify({ name: pkg.name, version: pkg.version, lockfileVersion: 3, requires: true, packages: { '': root, ...packages } }, null, 2)}\n`);
}

/** Install the package in `dir` with the core from `coreTarball`, from npm's cache only. */
async function installOffline(dir: string, coreTarball: string): Promise<void> {
  await cp(coreTarball, join(dir, 'sugar-server.tgz'));
  await writeLock(dir, 'sugar-server.tgz');
  await run('npm', ['ci', '--offline', '--no-audit', '--no-fund', '--loglevel=error'], dir);
}

describe('a plugin written outside this repository', () => {
  let work: string;
  let coreTarball: string;
  let tools: string;
  let pluginDir: string;
  let daemon: DaemonProcess | undefined;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'plugin-author-'));
    expect(relative(REPO, work).startsWith('..'), `${work} lies outside the checkout`).toBe(true);

    // Pack a copy of the core, as `npm pack -w core` would, without touching the checkout.
    const coreCopy = join(work, 'core');
    for (const item of ['package.json', 'README.md', 'bin', 'dist', 'templates']) await cp(join(REPO, 'core', item), join(coreCopy, item), { recursive: true });
    for (const item of ['LICENSE', 'etc']) await cp(join(REPO, item), join(coreCopy, item), { recursive: true });
    const packed = JSON.parse(await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], coreCopy)) as { filename: string }[];
    coreTarball = join(work, packed[0]!.filename);

    // The author installs the core to have its command, and scaffolds.
    tools = join(work, 'tools');
    await mkdir(tools);
    await writeFile(join(tools, 'package.json'), JSON.stringify({ name: 'tools', version: '1.0.0', private: true, dependencies: { 'sugar-server': 'file:sugar-server.tgz' } }));
    await installOffline(tools, coreTarball);
    await run(join(tools, 'node_modules/.bin/sugar-server'), ['plugin', 'new', NAME, '--dir', 'hello'], work);
    pluginDir = join(work, 'hello');

    // `npm install` as the README says, with the packed core in place of the folder of the core that scaffolded it.
    const pkgFile = join(pluginDir, 'package.json');
    const pkg = JSON.parse(await readFile(pkgFile, 'utf8'));
    pkg.devDependencies['sugar-server'] = 'file:sugar-server.tgz';
    await writeFile(pkgFile, JSON.stringify(pkg, null, 2));
    await installOffline(pluginDir, coreTarball);
  }, 120_000);

  /** Pack the built package in `dir` and unpack it into the server's plugin folder, as the README says. */
  async function installPlugin(dir: string, name: string): Promise<string[]> {
    // Built by the tests; `npm pack` alone would build it again (prepack).
    const packed = JSON.parse(await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], dir)) as { filename: string; files: { path: string }[] }[];
    const installed = join(work, 'server/plugins', name);
    await mkdir(installed, { recursive: true });
    await run('tar', ['-xzf', join(work, packed[0]!.filename), '--strip-components=1', '-C', installed], work);
    return packed[0]!.files.map((f) => f.path).sort();
  }

  const serverConfig = () => `[core]\nplugin_dirs = ${join(work, 'server/plugins')}\n\n[http]\naddress = 127.0.0.1\nport = 0\n\n[mdns]\nenabled = off\n`;

  afterAll(async () => {
    await daemon?.dispose();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('builds with tsc, strict and without skipLibCheck', async () => {
    const tsconfig = JSON.parse(await readFile(join(pluginDir, 'tsconfig.json'), 'utf8'));
    expect(tsconfig.compilerOptions.strict).toBe(true);
    expect(tsconfig.compilerOptions.skipLibCheck).toBeUndefined();
    await run('npm', ['run', 'build'], pluginDir);
    expect(await readFile(join(pluginDir, 'dist/index.js'), 'utf8')).toContain("'/hello/v1/hello'");
  });

  it('gets typed route handlers, options and clock from the published types, not any', async () => {
    await writeFile(join(pluginDir, 'src/mistyped.ts'), [
      "import { definePlugin, option } from 'sugar-server';",
      'export default definePlugin({',
      '  config: { greeting: option.text() },',
      '  start(ctx) {',
      '    const greeting: number = ctx.config.greeting;',
      "    ctx.router.get('/hello/v1/x', (c) => { const path: number = c.path; });",
      "    const now: string = ctx.clock.now();",
      "    const other: string | undefined = ctx.services.get<number>('counter');",
      '  },',
      '});',
      '',
    ].join('\n'));
    try {
      const failure = await run('npx', ['tsc', '--noEmit'], pluginDir).then(() => '', (err: Error) => err.message);
      const errors = failure.split('\n').filter((line) => line.startsWith('src/mistyped.ts')).map((line) => line.replace(/\(\d+,\d+\)/, '').replace(/: error (TS\d+).*/, ' $1'));
      expect(errors).toEqual(['src/mistyped.ts TS2322', 'src/mistyped.ts TS2322', 'src/mistyped.ts TS2322', 'src/mistyped.ts TS2322']);
    } finally {
      await rm(join(pluginDir, 'src/mistyped.ts'));
    }
  });

  it('passes its generated test, which runs it in a real daemon', async () => {
    const output = await run('npm', ['test'], pluginDir);
    expect(output).toMatch(/^# pass 2$/m);
    expect(output).toMatch(/^# fail 0$/m);
  });

  it('runs in this checkout\'s daemon once unpacked into a plugin_dirs folder, with no node_modules of its own', async () => {
    expect(await installPlugin(pluginDir, NAME)).toEqual(['README.md', 'dist/index.d.ts', 'dist/index.js', 'dist/index.js.map', 'package.json']);

    daemon = await DaemonProcess.start({
      baseConfig: serverConfig(),
      config: '[plugins]\nhello = on\n\n[hello]\ngreeting = hello from the school\n',
    });
    const response = await daemon.fetch('/hello/v1/hello');
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ greeting: 'hello from the school' });
    const status = await daemon.status();
    expect(daemon.plugin(status, 'hello')).toMatchObject({ package: NAME, version: '0.1.0', state: 'running', error: null });
  });

  it('takes the place of one of our services when [providers] picks it', async () => {
    const variant = join(work, 'registry-local');
    const name = '@myschool/sugar-server-registry-local';
    await run(join(tools, 'node_modules/.bin/sugar-server'), ['plugin', 'new', name, '--service', 'registry', '--dir', variant], work);
    await symlink(join(pluginDir, 'node_modules'), join(variant, 'node_modules'));
    await run('npx', ['tsc'], variant);
    await installPlugin(variant, name);

    await daemon?.dispose();
    daemon = await DaemonProcess.start({
      baseConfig: serverConfig(),
      config: `[plugins]\nregistry = on\n\n[providers]\nregistry = ${name}\n\n[registry]\ngreeting = our own registry\n`,
    });
    expect(await (await daemon.fetch('/registry/v1/hello')).json()).toMatchObject({ greeting: 'our own registry' });
    const status = await daemon.status();
    expect(daemon.plugin(status, 'registry')).toMatchObject({ package: name, state: 'running' });
    expect(status.standby).toContainEqual(expect.objectContaining({ service: 'registry', package: 'sugar-server-registry' }));
  });
});

describe('sugar-server/testing', () => {
  it('rejects naming the plugin that failed to start and why', async () => {
    const error = await startTestDaemon({ plugins: [join(FIXTURE_PLUGINS, 'throws')] }).catch((err: unknown) => err as Error);
    expect(ServerErrors.PLUGIN_START.is(error)).toBe(true);
    expect((error as Error).message).toMatch(/^thrower failed to start: failed \(SERVER_ERR_PLUGIN_START: thrower failed to start: /);
  });

  it('refuses a folder that is no plugin package', async () => {
    const error = await startTestDaemon({ plugins: [join(FIXTURE_PLUGINS, 'no-manifest')] }).catch((err: unknown) => err);
    expect(ServerErrors.PLUGIN_INVALID.is(error)).toBe(true);
    expect((error as Error).message).toContain('not a plugin package');
  });

  it('serves a plugin folder on loopback until stopped', async () => {
    const daemon = await startTestDaemon({ plugins: [join(FIXTURE_PLUGINS, 'echo')] });
    try {
      expect(new URL(daemon.url).hostname).toBe('127.0.0.1');
      const status = (await (await daemon.fetch('/status')).json()) as { plugins: { service: string; state: string }[] };
      expect(status.plugins.find((p) => p.service === 'echo')?.state).toBe('running');
    } finally {
      await daemon.stop();
    }
    await expect(daemon.fetch('/status')).rejects.toThrow();
  });
});
