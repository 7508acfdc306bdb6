/**
 * Debian's squidGuard, run the way squid runs it: a squidGuard.conf in a
 * temporary folder, its Berkeley DB files built with `squidGuard -C all`, and
 * request lines on stdin. Used as the reference in the differential suite and
 * the benchmark.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const SQUIDGUARD_BIN = ['/usr/bin/squidGuard', '/usr/sbin/squidGuard'].find((path) => existsSync(path)) ?? null;

/** One `dest` block; paths are absolute. */
export interface SquidGuardDest {
  readonly name: string;
  readonly domains?: string;
  readonly urls?: string;
  readonly expressions?: string;
}

/** Write squidGuard.conf for `dests` (`pass` in this order: the first is the white list when `white` is set) and build its databases. */
export async function prepareSquidGuard(dir: string, dests: readonly SquidGuardDest[], options: { white?: string } = {}): Promise<string> {
  if (!SQUIDGUARD_BIN) throw new Error('squidGuard is not installed');
  await mkdir(join(dir, 'log'), { recursive: true });
  const blocks = dests.map((d) => [
    `dest ${d.name} {`,
    d.domains ? `\tdomainlist ${d.domains}` : '',
    d.urls ? `\turllist ${d.urls}` : '',
    d.expressions ? `\texpressionlist ${d.expressions}` : '',
    '}',
  ].filter(Boolean).join('\n'));
  const pass = dests.map((d) => (d.name === options.white ? d.name : `!${d.name}`)).join(' ');
  const conf = join(dir, 'squidGuard.conf');
  await writeFile(conf, `dbhome ${dir}\nlogdir ${join(dir, 'log')}\n\n${blocks.join('\n\n')}\n\nacl {\n\tdefault {\n\t\tpass ${pass} all\n\t\tredirect http://schoolserver/blocked?url=%u&category=%t\n\t}\n}\n`);
  const built = await runSquidGuard(['-C', 'all', '-c', conf], '');
  if (built.code !== 0) throw new Error(`squidGuard -C failed (${built.code}): ${built.stderr}`);
  return conf;
}

/** Run squidGuard with `args`, feeding `input`; resolves with what it wrote. */
export function runSquidGuard(args: readonly string[], input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(SQUIDGUARD_BIN!, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('latin1')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.on('error', () => {});
    child.stdin.end(input, 'latin1');
  });
}
