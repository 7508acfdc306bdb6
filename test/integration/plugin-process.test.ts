/**
 * `[providers] isolate`: a plugin in a process of its own. Its routes, ports,
 * store, admin token and logs work as in the core's process; a busy loop or a
 * native crash in it leaves every other service answering, marks it failed,
 * keeps its ports answering 503, and it comes back after the back-off.
 */
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Laptop } from 'sugaroid';
import { afterEach, describe, expect, it } from 'vitest';
import { DaemonProcess, type StatusDoc } from '../harness/index.js';

// Starting a process is the core's cost, not the plugin's; still, give a loaded CI machine room.
const CORE = '[core]\nstart_timeout = 10s\nrestart_backoff = 2s\nisolate_timeout = 2s\n';

let daemons: DaemonProcess[] = [];
afterEach(async () => {
  for (const daemon of daemons) await daemon.dispose();
  daemons = [];
});

async function start(config: string): Promise<DaemonProcess> {
  const daemon = await DaemonProcess.start({ config: CORE + config });
  daemons.push(daemon);
  return daemon;
}

async function pluginUntil(daemon: DaemonProcess, service: string, ok: (p: StatusDoc['plugins'][number]) => boolean, what: string) {
  for (let i = 0; i < 400; i++) {
    const plugin = daemon.plugin(await daemon.status(), service)!;
    if (ok(plugin)) return plugin;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}; last lines: ${daemon.logs.slice(-3).map((l) => l.msg).join(' | ')}`);
}

function tcpEcho(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => socket.end(text));
    let got = '';
    socket.on('data', (chunk) => (got += chunk));
    socket.on('end', () => resolve(got));
    socket.on('error', reject);
  });
}

describe('a well-behaved plugin, isolated', () => {
  it('serves its routes, admin routes, store, body limits and ports as it does in the core, from its own process', async () => {
    const daemon = await start('[plugins]\necho = on\n[echo]\nlisteners = on\n[providers]\nisolate = echo\n');
    const echo = daemon.plugin(await daemon.status(), 'echo')!;
    expect(echo).toMatchObject({ state: 'running', isolated: true, pid: expect.any(Number) });
    expect(echo.pid).not.toBe(daemon.child.pid);

    expect(await daemon.json('/echo/v1/ping')).toEqual({ greeting: 'hello', items: 0 });
    expect((await daemon.fetch('/echo/v1/secret')).status).toBe(401);
    const token = (await readFile(join(daemon.root, 'etc/sugar-server/admin.token'), 'utf8')).trim();
    expect(await daemon.json('/echo/v1/secret', { headers: { Authorization: `Bearer ${token}` } })).toEqual({ secret: 'only for admins' });

    const created = await daemon.fetch('/echo/v1/items', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"id":7}' });
    expect(created.status).toBe(201);
    expect(await daemon.json('/echo/v1/ping')).toEqual({ greeting: 'hello', items: 1 });
    const tooLarge = await daemon.fetch('/echo/v1/items', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ id: 1, pad: 'x'.repeat(4000) }) });
    expect(tooLarge.status).toBe(413);
    expect(await tooLarge.json()).toMatchObject({ error: { code: 'SERVER_ERR_BODY_TOO_LARGE' } });

    // A 5xx hides its message, and the request id the client quotes is the one in the plugin's log line.
    const boom = await daemon.fetch('/echo/v1/boom');
    const requestId = boom.headers.get('x-request-id');
    expect(boom.status).toBe(500);
    expect(await boom.text()).not.toContain('hunter2');
    const logged = await daemon.waitForLog((line) => line.msg === 'request failed' && line.requestId === requestId);
    expect(logged).toMatchObject({ plugin: 'echo', pid: echo.pid });
    expect((await daemon.fetch('/echo/v1/ping', { method: 'DELETE' })).status).toBe(405);

    const tcp = echo.listeners.find((l) => l.name === 'echo-tcp')!;
    const http = echo.listeners.find((l) => l.name === 'echo-http')!;
    expect(await tcpEcho(tcp.port, 'hello over tcp')).toBe('hello over tcp');
    expect(await (await fetch(`http://127.0.0.1:${http.port}/`, { method: 'POST' })).text()).toBe('side port');

    expect(daemon.logs.find((l) => l.msg === 'echo started')).toMatchObject({ plugin: 'echo', pid: echo.pid });
    expect(await daemon.stop()).toBe(0);
    expect(daemon.logs.find((l) => l.msg === 'echo stop called')).toMatchObject({ plugin: 'echo', pid: echo.pid });
  });

  it('moves into and out of its process on reload, restarting only that plugin', async () => {
    const daemon = await start('[plugins]\necho = on\nbusy = on\n');
    expect(daemon.plugin(await daemon.status(), 'echo')!.isolated).toBeUndefined();
    await import('node:fs/promises').then(({ writeFile }) => writeFile(join(daemon.root, 'etc/sugar-server/conf.d/50-isolate.conf'), '[providers]\nisolate = echo\n'));
    const after = await daemon.reload();
    expect(after.server.config.lastError).toBeNull();
    expect(daemon.plugin(after, 'echo')).toMatchObject({ state: 'running', isolated: true, pid: expect.any(Number) });
    expect(await daemon.json('/echo/v1/ping')).toMatchObject({ greeting: 'hello' });
    expect(daemon.logs.filter((l) => l.msg === 'echo running')).toHaveLength(2);
    expect(daemon.logs.filter((l) => l.msg === 'busy running')).toHaveLength(1);
  });

  it('cannot offer a service to other plugins, and says so', async () => {
    const daemon = await start('[plugins]\ncounter = on\n[providers]\nisolate = counter\n');
    expect(daemon.plugin(await daemon.status(), 'counter')!.error).toMatchObject({ code: 'SERVER_ERR_PLUGIN_ISOLATED', message: expect.stringContaining('ctx.provide') });
  });
});

describe('a plugin that spins forever, isolated', () => {
  it('stalls no other service; it is killed, shown failed, answers 503 meanwhile, and comes back', async () => {
    const daemon = await start('[plugins]\necho = on\nspinner = on\n[providers]\nisolate = spinner\n');
    const firstPid = daemon.plugin(await daemon.status(), 'spinner')!.pid;
    const spin = daemon.fetch('/spinner/v1/spin', { signal: AbortSignal.timeout(60_000) });
    await daemon.waitForLog((line) => line.msg === 'spinning' && line.plugin === 'spinner');

    // Its process spins from here until the core kills it (it never yields again); everything else answers.
    expect(await daemon.json('/echo/v1/ping')).toMatchObject({ greeting: 'hello' });
    expect((await daemon.status()).server.state).toBe('running');

    const failed = await pluginUntil(daemon, 'spinner', (p) => p.state === 'failed', 'the spinner to be given up on');
    expect(failed.error).toMatchObject({ code: 'SERVER_ERR_PLUGIN_CRASHED', message: expect.stringContaining('left the core\'s pings unanswered') });
    const cut = await spin;
    expect(cut.status).toBe(503);
    expect(await cut.json()).toMatchObject({ error: { code: 'SERVER_ERR_PLUGIN_CRASHED' } });

    const back = await pluginUntil(daemon, 'spinner', (p) => p.state === 'running', 'the spinner to come back');
    expect(back.pid).not.toBe(firstPid);
    expect(await daemon.json('/spinner/v1/alive')).toEqual({ alive: true, pid: back.pid });
    // The core's own watchdog never saw the loop: it ran in another process.
    expect(daemon.logs.some((l) => l.plugin === 'spinner' && /kept the event loop busy/.test(l.msg))).toBe(false);
  });
});

describe.each([
  ['abort', 'SIGABRT'],
  ['segv', 'SIGSEGV'],
])('a plugin whose process dies natively (%s), isolated', (how, signal) => {
  it('is marked failed with the signal, its port answers 503 while it is down, and it comes back', async () => {
    const daemon = await start(`[plugins]\necho = on\naborter = on\n[aborter]\nhow = ${how}\n[providers]\nisolate = aborter\n`);
    const before = daemon.plugin(await daemon.status(), 'aborter')!;
    const side = before.listeners.find((l) => l.name === 'aborter-http')!;
    expect(await (await fetch(`http://127.0.0.1:${side.port}/`)).json()).toEqual({ side: true });

    expect((await daemon.fetch('/aborter/v1/die', { method: 'POST' })).status).toBe(202);
    const failed = await pluginUntil(daemon, 'aborter', (p) => p.state === 'failed', 'the crash');
    expect(failed.error).toMatchObject({ code: 'SERVER_ERR_PLUGIN_CRASHED', message: expect.stringContaining(`killed by ${signal}`) });
    expect(failed.listeners).toEqual(before.listeners);
    expect(daemon.child.exitCode).toBeNull();
    expect(await daemon.json('/echo/v1/ping')).toMatchObject({ greeting: 'hello' });
    const whileDown = await fetch(`http://127.0.0.1:${side.port}/`);
    expect(whileDown.status).toBe(503);
    expect(await whileDown.json()).toMatchObject({ error: { code: 'SERVER_ERR_PLUGIN_CRASHED' } });

    const back = await pluginUntil(daemon, 'aborter', (p) => p.state === 'running', 'the restart');
    expect(back.pid).not.toBe(before.pid);
    expect(await (await fetch(`http://127.0.0.1:${side.port}/`)).json()).toEqual({ side: true });
  });
});

describe('the leases plugin, isolated', () => {
  it('gives laptops their leases on the activation port it holds through the core, as it does in-process', async () => {
    const daemon = await start('[plugins]\nleases = on\n[leases]\nport = 0\naddress = 127.0.0.1\n[providers]\nisolate = leases\n');
    const leases = daemon.plugin(await daemon.status(), 'leases')!;
    expect(leases).toMatchObject({ state: 'running', isolated: true });
    const port = leases.listeners.find((l) => l.name === 'activation')!.port;
    const token = (await readFile(join(daemon.root, 'etc/sugar-server/admin.token'), 'utf8')).trim();

    // Leases as stored without a deployment key (no [leases] public_key), one per laptop.
    const laptops = [Laptop.create(), Laptop.create()];
    const lease = (laptop: Laptop) => `act01: ${laptop.serial} K 20991231T000000Z sig01: sha256 ${'0'.repeat(64)} ${'ab'.repeat(256)}\n`;
    const bundle = JSON.stringify([1, Object.fromEntries(laptops.map((l) => [l.serial, lease(l)]))]);
    const imported = await daemon.fetch('/leases/v1/bundles', { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: bundle });
    expect(imported.status).toBe(200);
    for (const laptop of laptops) expect(await laptop.activate('127.0.0.1', port)).toEqual({ outcome: 'lease', lease: lease(laptop), expires: expect.any(String) });
    expect(await Laptop.create().activate('127.0.0.1', port)).toEqual({ outcome: 'none' });
    // What it publishes is served by the core, read from its process.
    const manifest = await daemon.json<{ files: { path: string }[] }>('/feeds/v1/leases/manifest.json');
    expect(manifest.files.map((f) => f.path).sort()).toEqual(['leases.sig', 'stolen.txt']);
    // Its status details come from its process with the core's pings, within a second or two.
    await pluginUntil(daemon, 'leases', (p) => p.details?.serials === 2 && p.details.leases === 2, 'the details to count the leases');
  });
});
