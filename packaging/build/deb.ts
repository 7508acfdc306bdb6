/**
 * A binary package from a staged tree: DEBIAN/control with its installed size,
 * md5sums, conffiles, the maintainer scripts, built by dpkg-deb with every file
 * owned by root (no fakeroot needed).
 */
import { chmod, copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join, relative } from 'node:path';
import { run } from './run.js';

export interface DebSpec {
  /** The staged root: what the package installs, relative to /. */
  readonly stage: string;
  /** control.in with @VERSION@ and @INSTALLED_SIZE@. */
  readonly controlTemplate: string;
  readonly version: string;
  /** Maintainer scripts to copy into DEBIAN/ (executable). */
  readonly scripts?: readonly string[];
  /** Files under /etc that dpkg keeps as the admin changed them. */
  readonly conffiles?: readonly string[];
  readonly output: string;
  /** xz (smallest) unless the payload is one large binary, where gzip builds in seconds instead of minutes. */
  readonly compression?: 'xz' | 'gzip';
}

async function* filesUnder(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* filesUnder(path);
    else if (entry.isFile()) yield path;
  }
}

export async function buildDeb(spec: DebSpec): Promise<string> {
  // Directories 0755, files 0644 unless executable for their owner (then 0755), whatever the umask was.
  run('chmod', ['-R', 'u=rwX,go=rX', spec.stage]);
  const debian = join(spec.stage, 'DEBIAN');
  await mkdir(debian, { recursive: true });
  const sums: string[] = [];
  for await (const file of filesUnder(spec.stage)) {
    const path = relative(spec.stage, file);
    if (path.startsWith('DEBIAN/')) continue;
    sums.push(`${createHash('md5').update(await readFile(file)).digest('hex')}  ${path}`);
  }
  await writeFile(join(debian, 'md5sums'), `${sums.sort((a, b) => a.slice(34).localeCompare(b.slice(34))).join('\n')}\n`);
  const installedKb = Number(run('du', ['-sk', '--exclude=DEBIAN', spec.stage]).split('\t')[0]);
  const control = (await readFile(spec.controlTemplate, 'utf8')).replaceAll('@VERSION@', spec.version).replaceAll('@INSTALLED_SIZE@', String(installedKb));
  await writeFile(join(debian, 'control'), control);
  if (spec.conffiles?.length) await writeFile(join(debian, 'conffiles'), `${spec.conffiles.join('\n')}\n`);
  for (const script of spec.scripts ?? []) {
    const target = join(debian, script.split('/').pop()!);
    await copyFile(script, target);
    await chmod(target, 0o755);
  }
  await chmod(debian, 0o755);
  await mkdir(join(spec.output, '..'), { recursive: true });
  run('dpkg-deb', ['--root-owner-group', `-Z${spec.compression ?? 'xz'}`, '--build', spec.stage, spec.output]);
  return spec.output;
}
