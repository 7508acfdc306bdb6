/**
 * `sugar-server diagnostics`: one archive an admin can send when asking for
 * help. It holds what a helper asks for first (versions, the configuration,
 * /status, recent logs, disk space, plugin and feed states) and never a
 * secret: keys that name a secret lose their values, URLs lose their
 * passwords, and the admin token is scrubbed from every text. Each part is
 * collected on its own; one that fails is noted in the archive, not fatal.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, mkdir, readFile, readdir, rm, statfs, writeFile, chmod } from 'node:fs/promises';
import { hostname, release, tmpdir, arch } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { readConfig } from './config/load.js';
import { readAdminToken } from './admin.js';
import { getJson, readRunningUrl } from './control.js';
import { SERVER_VERSION } from './daemon.js';
import { adminTokenFile, configFile, dropInDir, type Paths } from './paths.js';
import { makePlan } from './plugins/plan.js';
import { discoverPlugins, installNodeModules } from './plugins/discover.js';

const REDACTED = '<redacted>';
/** Config keys whose values are secrets, whatever section they are in. */
const SECRET_KEY = /(token|password|passwd|secret|passphrase|credential|private[_-]?key|api[_-]?key)/i;
/** `scheme://user:password@host`: the password goes, the user stays (it helps). */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):[^\s/@]*@/gi;
/** How many log lines to ask journald for. */
const JOURNAL_LINES = 2000;

export interface DiagnosticsResult {
  readonly file: string;
  /** Parts that could not be collected, with why. */
  readonly missing: readonly string[];
}

/** Blank the values of secret keys in an INI text, and passwords in any URL. */
export function redactConfig(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      const match = /^(\s*)([^#;[\s=][^=]*?)(\s*=\s*)(.*)$/.exec(line);
      if (match && SECRET_KEY.test(match[2]!) && match[4]!.trim() !== '') return `${match[1]}${match[2]}${match[3]}${REDACTED}`;
      return redactText(line);
    })
    .join('\n');
}

/** Passwords in URLs, wherever they appear (logs, status). */
export function redactText(text: string): string {
  return text.replace(URL_PASSWORD, `$1:${REDACTED}@`);
}

export async function writeDiagnostics(paths: Paths, options: { output?: string; now?: Date } = {}): Promise<DiagnosticsResult> {
  const stamp = (options.now ?? new Date()).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const name = `sugar-server-diagnostics-${hostname().replace(/[^A-Za-z0-9.-]/g, '_')}-${stamp}`;
  const file = resolve(options.output ?? `${name}.tar.gz`);
  const work = await mkdtemp(join(tmpdir(), 'sugar-server-diagnostics-'));
  const folder = join(work, name);
  await mkdir(folder, { mode: 0o700 });

  const token = await readAdminToken(adminTokenFile(paths)).catch(() => undefined);
  const scrub = (text: string) => {
    const redacted = redactText(text);
    return token ? redacted.split(token).join(REDACTED) : redacted;
  };
  const missing: string[] = [];
  const put = async (relative: string, collect: () => Promise<string>) => {
    try {
      const target = join(folder, relative);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, scrub(await collect()), { mode: 0o600 });
    } catch (err) {
      missing.push(`${relative}: ${(err as Error).message}`);
    }
  };

  await put('versions.txt', () => versions());
  await put('check-config.txt', () => checkConfig(paths));
  for (const config of await configFiles(paths)) {
    await put(join('config', config.relative), async () => redactConfig(await readFile(config.path, 'utf8')));
  }
  await put('disk.txt', () => disk(paths));

  const url = await readRunningUrl(paths);
  if (url) {
    await put('status.json', async () => JSON.stringify(await getJson(url, '/status'), null, 2));
    await put('metrics.txt', async () => text(url, '/metrics'));
    if (token) await put('daemon-log.jsonl', async () => text(url, '/core/v1/logs', token));
    else missing.push('daemon-log.jsonl: the admin token is not readable (run as root or the daemon\'s user)');
  } else {
    missing.push(`status.json: no daemon is running for ${paths.run}`);
  }
  const journal = journalLines();
  if (journal.ok) await put('journal.txt', async () => journal.text);
  else missing.push(`journal.txt: ${journal.why}`);

  await put('MISSING.txt', async () => (missing.length ? `${missing.join('\n')}\n` : 'every part was collected\n'));
  try {
    const tar = spawnSync('tar', ['-czf', file, '-C', work, name], { encoding: 'utf8', timeout: 60_000 });
    if (tar.error || tar.status !== 0) throw new Error(`tar could not write ${file}: ${tar.error?.message ?? tar.stderr.trim()}`);
    await chmod(file, 0o600);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return { file, missing };
}

async function versions(): Promise<string> {
  const osRelease = await readFile('/etc/os-release', 'utf8').catch(() => '');
  const pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(osRelease)?.[1] ?? 'unknown';
  const installed = await discoverPlugins(installNodeModules());
  const tools = [['rsync', '--version'], ['ssh', '-V'], ['squid', '-v'], ['tar', '--version']].map(([tool, flag]) => {
    const run = spawnSync(tool!, [flag!], { encoding: 'utf8', timeout: 5000 });
    const first = `${run.stdout ?? ''}${run.stderr ?? ''}`.split('\n')[0]?.trim();
    return `${tool}: ${run.error ? 'not installed' : first || 'unknown'}`;
  });
  return [
    `sugar-server ${SERVER_VERSION}`,
    `node ${process.version} (${arch()})`,
    `system ${pretty}, kernel ${release()}`,
    ...tools,
    '',
    'installed plugins:',
    ...installed.candidates.map((c) => `  ${c.service}: ${c.packageName} ${c.version} (${c.dir})`),
    ...installed.rejected.map((r) => `  rejected ${r.packageName}: ${r.reason}`),
    '',
  ].join('\n');
}

async function checkConfig(paths: Paths): Promise<string> {
  const planned = await makePlan(paths);
  if (!planned.ok) return `configuration refused:\n${planned.problems.join('\n')}\n`;
  const on = planned.plan.services.filter((s) => s.enabled).map((s) => s.service);
  return `configuration OK (${planned.plan.files.join(', ') || 'no files, all defaults'})\nservices on: ${on.join(', ') || 'none'}\n`;
}

async function configFiles(paths: Paths): Promise<{ path: string; relative: string }[]> {
  const read = await readConfig(paths).catch(() => undefined);
  const files = read?.files.length ? [...read.files] : [configFile(paths)];
  // Files the reader skipped (wrong suffix, unreadable) can still explain a surprise.
  const dropIns = await readdir(dropInDir(paths)).catch(() => [] as string[]);
  for (const entry of dropIns) {
    const path = join(dropInDir(paths), entry);
    if (!files.includes(path)) files.push(path);
  }
  return files.map((path) => ({ path, relative: path.startsWith(dropInDir(paths)) ? join('conf.d', basename(path)) : basename(path) }));
}

async function disk(paths: Paths): Promise<string> {
  const lines = ['folder  size  free  used%  inodes-free'];
  for (const folder of [paths.etc, paths.data, paths.run]) {
    try {
      const fs = await statfs(folder);
      const size = fs.blocks * fs.bsize;
      const free = fs.bavail * fs.bsize;
      const used = size ? Math.round((100 * (size - free)) / size) : 0;
      lines.push(`${folder}  ${gib(size)}  ${gib(free)}  ${used}%  ${fs.ffree}`);
    } catch (err) {
      lines.push(`${folder}  ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)}G`;

async function text(base: string, path: string, token?: string): Promise<string> {
  const response = await fetch(new URL(path, base), {
    headers: token ? { Authorization: `Bearer ${token}` } : {},
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`GET ${path} answered ${response.status}`);
  return response.text();
}

function journalLines(): { ok: true; text: string } | { ok: false; why: string } {
  const run = spawnSync('journalctl', ['--unit', 'sugar-server', '--lines', String(JOURNAL_LINES), '--no-pager', '--output', 'short-iso'], {
    encoding: 'utf8',
    timeout: 30_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.error) return { ok: false, why: 'journalctl is not installed (the daemon\'s own recent lines are in daemon-log.jsonl)' };
  if (run.status !== 0) return { ok: false, why: `journalctl failed: ${run.stderr.trim()}` };
  return { ok: true, text: run.stdout };
}
