import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ProcessLauncher, type LaunchedProcess, type LauncherOptions } from './launcher.js';

/** The daemon's thread is the built one (`npm test` builds first); run from sources the launcher works in this thread. */
const BUILT_WORKER = new URL('../../dist/launcher/worker.js', import.meta.url);
const MODES: [string, LauncherOptions][] = [
  ['from a thread of its own', { worker: BUILT_WORKER }],
  ['in this thread', { worker: new URL('./no-such-worker.js', import.meta.url) }],
];

/** Everything a child wrote, and how it ended. */
function outcome(child: LaunchedProcess): Promise<{ stdout: string; stderr: string; code: number | null; signal: NodeJS.Signals | null }> {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('latin1')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('latin1')));
  return new Promise((resolve) => child.once('close', (code, signal) => resolve({ stdout, stderr, code, signal })));
}

it('has its thread built', () => {
  expect(existsSync(BUILT_WORKER), `${BUILT_WORKER.pathname} is missing: npm run build`).toBe(true);
});

describe.each(MODES)('the process launcher, %s', (_mode, options) => {
  it('runs a program from an argument vector, with its environment and folder, and gives its output and exit code', async () => {
    const launcher = new ProcessLauncher(options);
    const child = launcher.launch('/bin/sh', ['-c', 'echo "$GREETING from $(pwd)"; echo oops >&2; exit 3'], { cwd: '/tmp', env: { GREETING: 'hello' }, stdin: false });
    expect(await outcome(child)).toEqual({ stdout: 'hello from /tmp\n', stderr: 'oops\n', code: 3, signal: null });
    expect(child.pid).toBeGreaterThan(0);
    await launcher.close();
  });

  it('feeds stdin with back-pressure and ends it, byte for byte', async () => {
    const launcher = new ProcessLauncher(options);
    const child = launcher.launch('/usr/bin/sha256sum', []);
    const done = outcome(child);
    const block = Buffer.alloc(256 * 1024);
    for (let i = 0; i < block.length; i++) block[i] = (i * 7) % 251;
    const { createHash } = await import('node:crypto');
    const hash = createHash('sha256');
    // 8 MiB: several times what is let ahead of the pipe.
    for (let i = 0; i < 32; i++) {
      hash.update(block);
      if (!child.stdin!.write(block)) await new Promise((resolve) => child.stdin!.once('drain', resolve));
    }
    child.stdin!.end();
    const result = await done;
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${hash.digest('hex')}  -\n`);
    await launcher.close();
  });

  it('delivers large output whole when the reader is slow', async () => {
    const launcher = new ProcessLauncher(options);
    const child = launcher.launch('/usr/bin/head', ['-c', String(4 * 1024 * 1024), '/dev/zero'], { stdin: false });
    let bytes = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      child.stdout.pause();
      setTimeout(() => child.stdout.resume(), 1);
    });
    const code = await new Promise((resolve) => child.once('close', resolve));
    expect(code).toBe(0);
    expect(bytes).toBe(4 * 1024 * 1024);
    await launcher.close();
  });

  it('kills a child and reports the signal', async () => {
    const launcher = new ProcessLauncher(options);
    const child = launcher.launch('/bin/sleep', ['30'], { stdin: false });
    const done = outcome(child);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(child.kill('SIGTERM')).toBe(true);
    expect(await done).toMatchObject({ code: null, signal: 'SIGTERM' });
    expect(child.kill()).toBe(false);
    await launcher.close();
  });

  it('reports a program that cannot be started with its error code, then closes', async () => {
    const launcher = new ProcessLauncher(options);
    const child = launcher.launch('/nonexistent/rsync', ['--version'], { stdin: false });
    const error = new Promise<NodeJS.ErrnoException>((resolve) => child.once('error', resolve));
    const closed = new Promise((resolve) => child.once('close', resolve));
    expect((await error).code).toBe('ENOENT');
    await closed;
    await launcher.close();
  });

  it('lets a child that exits without reading its input end normally', async () => {
    const launcher = new ProcessLauncher(options);
    const child = launcher.launch('/bin/true', []);
    const done = outcome(child);
    child.stdin!.write(Buffer.alloc(1024 * 1024));
    child.stdin!.end();
    expect((await done).code).toBe(0);
    await launcher.close();
  });
});
