/**
 * sugar-server_<version>_amd64.deb: the built core and plugins as npm packs
 * them, their production dependencies from the lock file (installed from
 * npm's cache, no network), the configuration as conffiles, the units, the
 * launcher, sysusers.d/tmpfiles.d and the man page made from the CLI's help.
 */
import { chmod, copyFile, cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { chmodSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { buildDeb } from './deb.js';
import { manPage } from './manpage.js';
import { run } from './run.js';

/** The packages the school server is made of, by workspace folder. */
export const SHIPPED_WORKSPACES = ['core', 'plugins/activities', 'plugins/backup', 'plugins/blacklists', 'plugins/leases', 'plugins/registry'];
/** Workspaces that only develop and test it: their manifests let `npm ci` read the lock, nothing of them ships. */
const UNSHIPPED_WORKSPACES = ['sugaroid', 'test'];
export const APP_DIR = 'usr/lib/sugar-server';

export interface ServerDebOptions {
  readonly repo: string;
  readonly version: string;
  /** A scratch folder of this build's own. */
  readonly work: string;
  readonly outDir: string;
  /** When the build happened, for the changelog and man page (a release's commit time). */
  readonly date: Date;
}

export async function buildServerDeb(options: ServerDebOptions): Promise<string> {
  const { repo, work } = options;
  const stage = join(work, 'sugar-server');
  const app = join(stage, APP_DIR);
  await rm(stage, { recursive: true, force: true });
  await stageApp(repo, app, join(work, 'packs'), options.version);

  const packaging = join(repo, 'packaging');
  await put(join(repo, 'etc/sugar-server/sugar-server.conf'), join(stage, 'etc/sugar-server/sugar-server.conf'));
  await mkdir(join(stage, 'etc/sugar-server/conf.d'), { recursive: true });
  for (const unit of ['sugar-server.service', 'sugar-server-feeds-import@.service']) await put(join(repo, 'etc/systemd', unit), join(stage, 'lib/systemd/system', unit));
  await put(join(repo, 'etc/udev/rules.d/90-sugar-server-feeds.rules'), join(stage, 'lib/udev/rules.d/90-sugar-server-feeds.rules'));
  await put(join(packaging, 'bin/sugar-server'), join(stage, 'usr/bin/sugar-server'), 0o755);
  await put(join(packaging, 'sysusers.d/sugar-server.conf'), join(stage, 'usr/lib/sysusers.d/sugar-server.conf'));
  await put(join(packaging, 'tmpfiles.d/sugar-server.conf'), join(stage, 'usr/lib/tmpfiles.d/sugar-server.conf'));
  await put(join(packaging, 'debian/lintian-overrides'), join(stage, 'usr/share/lintian/overrides/sugar-server'));
  const doc = join(stage, 'usr/share/doc/sugar-server');
  await put(join(packaging, 'debian/copyright'), join(doc, 'copyright'));
  await writeGzip(join(doc, 'changelog.gz'), changelog(options.version, options.date));
  const day = options.date.toISOString().slice(0, 10);
  await writeGzip(join(stage, 'usr/share/man/man8/sugar-server.8.gz'), manPage(join(repo, 'core/dist/main.js'), options.version, day));

  return buildDeb({
    stage,
    controlTemplate: join(packaging, 'debian/control.in'),
    version: options.version,
    scripts: ['preinst', 'postinst', 'prerm', 'postrm'].map((s) => join(packaging, 'debian', s)),
    conffiles: ['/etc/sugar-server/sugar-server.conf'],
    output: join(options.outDir, `sugar-server_${options.version}_amd64.deb`),
  });
}

/**
 * The app folder: each shipped package as `npm pack` makes it (dist without
 * tests or maps, its licence, the core's etc/), laid out like the workspace so
 * `npm ci --omit=dev` installs exactly the locked production dependencies.
 */
async function stageApp(repo: string, app: string, packs: string, version: string): Promise<void> {
  await rm(packs, { recursive: true, force: true });
  await mkdir(packs, { recursive: true });
  const packed = JSON.parse(run('npm', ['pack', '--json', '--silent', '--pack-destination', packs, ...SHIPPED_WORKSPACES.map((w) => `--workspace=${w}`)], { cwd: repo })) as { name: string; filename: string }[];
  for (const workspace of SHIPPED_WORKSPACES) {
    const { name } = JSON.parse(await readFile(join(repo, workspace, 'package.json'), 'utf8')) as { name: string };
    const target = join(app, workspace);
    await mkdir(target, { recursive: true });
    run('tar', ['-xzf', join(packs, packed.find((p) => p.name === name)!.filename), '-C', target, '--strip-components=1', '--no-same-owner']);
  }
  for (const file of ['package.json', 'package-lock.json']) await copyFile(join(repo, file), join(app, file));
  for (const workspace of UNSHIPPED_WORKSPACES) await put(join(repo, workspace, 'package.json'), join(app, workspace, 'package.json'));
  run('npm', ['ci', '--omit=dev', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', ...SHIPPED_WORKSPACES.map((w) => `--workspace=${w}`)], { cwd: app });
  for (const leftover of ['package.json', 'package-lock.json', 'node_modules/.package-lock.json', ...UNSHIPPED_WORKSPACES]) await rm(join(app, leftover), { recursive: true, force: true });
  pruneForRuntime(app);
  // The version the daemon reports is the package's (a test build may be numbered below the tree's).
  const manifest = join(app, 'core/package.json');
  const core = JSON.parse(await readFile(manifest, 'utf8')) as { version: string };
  if (core.version !== version) await writeFile(manifest, `${JSON.stringify({ ...core, version }, null, 2)}\n`);
}

/** Packages that only build native code (skipped: ssh2 runs without its optional addon). */
const BUILD_ONLY_PACKAGES = ['cpu-features', 'buildcheck', 'nan'];
/** Folders of dependencies never loaded at run time. */
const UNUSED_FOLDERS = ['test', 'tests', '__tests__', 'docs', 'example', 'examples', 'benchmarks', '.github', '.husky'];
/** Files never loaded at run time: sources, types, maps, docs, other tools' settings. */
const UNUSED_FILES = ['*.sh', '*.ts', '*.mts', '*.cts', '*.map', '*.md', '*.markdown', '*.html', '.npmignore', '.eslintrc*', '.gitattributes', '.editorconfig', '.travis.yml', '.prettierrc*', '.nycrc*'];

/**
 * What the daemon never reads goes: it would only cost disk and lintian's
 * complaints. Nothing stays executable: /usr/bin/sugar-server runs node itself.
 */
function pruneForRuntime(app: string): void {
  const modules = join(app, 'node_modules');
  for (const pkg of BUILD_ONLY_PACKAGES) run('rm', ['-rf', join(modules, pkg)]);
  const named = (flag: string, names: readonly string[]) => names.flatMap((name, i) => (i ? ['-o', flag, name] : [flag, name]));
  run('find', [modules, '-depth', '-type', 'd', '(', ...named('-name', UNUSED_FOLDERS), ')', '-exec', 'rm', '-rf', '{}', '+']);
  run('find', [app, '-type', 'f', '(', ...named('-name', UNUSED_FILES), ')', '-delete']);
  run('find', [app, '-type', 'f', '-exec', 'chmod', '0644', '{}', '+']);
  // A "#!" file stays runnable on its own, as its author meant (lintian checks this).
  for (const file of run('find', [app, '-type', 'f', '-name', '*.js']).split('\n').filter(Boolean)) {
    if (readFileSync(file).subarray(0, 2).toString() === '#!') chmodSync(file, 0o755);
  }
}

async function put(from: string, to: string, mode = 0o644): Promise<void> {
  await mkdir(join(to, '..'), { recursive: true });
  await cp(from, to);
  await chmod(to, mode);
}

async function writeGzip(file: string, text: string): Promise<void> {
  await mkdir(join(file, '..'), { recursive: true });
  // No name or time in the header, so the same input makes the same bytes.
  await writeFile(file, gzipSync(text, { level: 9 }));
}

function changelog(version: string, date: Date): string {
  return `sugar-server (${version}) stable; urgency=medium\n\n  * Release ${version}; see /usr/share/doc/sugar-server for the project's notes.\n\n -- sugar-server maintainers <sugar-server@lists.sugarlabs.org>  ${date.toUTCString().replace('GMT', '+0000')}\n`;
}
