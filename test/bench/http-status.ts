/**
 * GET /status through the daemon (koa, request ids, metrics, core route table)
 * against raw node:http sending the same bytes; bare koa sending them too is a
 * second reference, telling the framework's cost apart from ours. Every server
 * is its own process on loopback, pinned to the same CPU.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DaemonProcess } from '../harness/index.js';
import { compare, report } from './load.js';

/** The CPU servers under test run on; `npm run bench` keeps the load generator on CPU 0. */
const SERVER_CPU = '1';
const ROUNDS = 7;

/** A reference server (one of the `.mjs` beside this file) serving `bodyFile`, pinned to the servers' CPU. */
export function startReference(script: string, bodyFile: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn('taskset', ['-c', SERVER_CPU, process.execPath, fileURLToPath(new URL(script, import.meta.url)), bodyFile], {
    stdio: ['ignore', 'pipe', 'inherit'],
    cwd: fileURLToPath(new URL('.', import.meta.url)),
  });
  return new Promise((resolve) => createInterface({ input: child.stdout! }).once('line', (url) => resolve({ child, url })));
}

/** Fixture plugins, so the document has entries; they come from outside the distribution, so `auto` attributes async work. */
const PLUGINS = '[plugins]\necho = on\ncounter = on\nuser = on\ngreeter = on\n[providers]\ngreeter = fixture-greeter-a\n';

export async function benchHttpStatus(): Promise<string> {
  const daemon = await DaemonProcess.start({ cpus: SERVER_CPU, config: PLUGINS });
  // The same daemon as a school running only the distribution's plugins has it: no async context (see [core] async_attribution).
  const stackOnly = await DaemonProcess.start({ cpus: SERVER_CPU, config: `[core]\nasync_attribution = off\n${PLUGINS}` });
  const body = await (await daemon.fetch('/status')).text();
  const bodyFile = join(daemon.root, 'status.json');
  await writeFile(bodyFile, body);
  const raw = await startReference('raw-http-server.mjs', bodyFile);
  const koa = await startReference('koa-http-server.mjs', bodyFile);
  try {
    const ours = { url: `${daemon.url}/status`, pid: daemon.child.pid! };
    const options = { rounds: ROUNDS, seconds: 3, warmupSeconds: 3 };
    const vsRaw = await compare(ours, { url: `${raw.url}/`, pid: raw.child.pid! }, options);
    const koaVsRaw = await compare({ url: `${koa.url}/`, pid: koa.child.pid! }, { url: `${raw.url}/`, pid: raw.child.pid! }, options);
    const stackOnlyVsRaw = await compare({ url: `${stackOnly.url}/status`, pid: stackOnly.child.pid! }, { url: `${raw.url}/`, pid: raw.child.pid! }, options);
    const failures = vsRaw.failures + koaVsRaw.failures + stackOnlyVsRaw.failures;
    if (failures) throw new Error(`${failures} failed requests during the benchmark`);
    return (
      `${report('http-status', vsRaw.ratio, vsRaw.ours, vsRaw.baseline, ' req/s')} ` +
      `[${body.length} bytes of JSON; median of ${ROUNDS} rounds; per CPU-second ${vsRaw.cpuRatio.toFixed(2)}; ` +
      `bare koa on the same bytes: ratio ${koaVsRaw.ratio.toFixed(2)}, per CPU-second ${koaVsRaw.cpuRatio.toFixed(2)}; ` +
      `without async attribution (a school running only the distribution's plugins): ratio ${stackOnlyVsRaw.ratio.toFixed(2)}, per CPU-second ${stackOnlyVsRaw.cpuRatio.toFixed(2)}]`
    );
  } finally {
    raw.child.kill();
    koa.child.kill();
    await daemon.dispose();
    await stackOnly.dispose();
  }
}
