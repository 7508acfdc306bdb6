/**
 * Routes and ports are owned: a plugin that claims what another already
 * serves is refused at its start, naming both, and the first keeps serving.
 */
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DaemonProcess } from '../harness/index.js';

let daemons: DaemonProcess[] = [];
afterEach(async () => {
  for (const daemon of daemons) await daemon.dispose();
  daemons = [];
});

async function start(config: string) {
  const daemon = await DaemonProcess.start({ config });
  daemons.push(daemon);
  const status = await daemon.status();
  return { daemon, clasher: daemon.plugin(status, 'clasher')!, echo: daemon.plugin(status, 'echo')! };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('two plugins claiming one thing', () => {
  it('refuses the second plugin that routes a method and path the first serves, naming both; the first keeps it', async () => {
    const { daemon, clasher, echo } = await start('[plugins]\necho = on\nclasher = on\n[clasher]\nroute = /echo/v1/ping\n');
    expect(echo.state).toBe('running');
    expect(clasher.state).toBe('failed');
    expect(clasher.error).toEqual({ code: 'SERVER_ERR_ROUTE_TAKEN', message: expect.stringMatching(/^clasher \(fixture-clasher\) cannot serve GET \/echo\/v1\/ping: echo \(fixture-echo\) already serves it/) });
    expect(await daemon.json('/echo/v1/ping')).toMatchObject({ greeting: 'hello' });
    // Nothing of the refused plugin is served, not even its own routes.
    expect((await daemon.fetch('/clasher/v1/own')).status).toBe(404);
  });

  it('refuses a plugin that routes a path of the core', async () => {
    const { daemon, clasher } = await start('[plugins]\necho = on\nclasher = on\n[clasher]\nroute = /status\n');
    expect(clasher.error).toMatchObject({ code: 'SERVER_ERR_ROUTE_TAKEN', message: expect.stringContaining('cannot serve GET /status: the core already serves it') });
    expect((await daemon.status()).server.state).toBe('running');
  });

  it('refuses the second plugin that asks for a port the first holds, naming the holder', async () => {
    const port = await freePort();
    const { daemon, clasher, echo } = await start(`[plugins]\necho = on\nclasher = on\n[echo]\nlisteners = on\ntcp_port = ${port}\n[clasher]\ntcp_port = ${port}\n`);
    expect(echo.state).toBe('running');
    expect(clasher.error).toEqual({ code: 'SERVER_ERR_PORT_TAKEN', message: expect.stringMatching(new RegExp(`^clasher/clasher-tcp \\(fixture-clasher\\) cannot listen on 127\\.0\\.0\\.1:${port}: echo/echo-tcp \\(fixture-echo\\) already listens on that port`)) });
    expect(daemon.plugin(await daemon.status(), 'echo')!.listeners.find((l) => l.name === 'echo-tcp')!.port).toBe(port);
  });

  it('lets a plugin restarted on reload take its own routes back', async () => {
    const { daemon } = await start('[plugins]\necho = on\n');
    await daemon.reload();
    const { writeFile } = await import('node:fs/promises');
    await writeFile(`${daemon.root}/etc/sugar-server/conf.d/50-greeting.conf`, '[echo]\ngreeting = hola\n');
    const status = await daemon.reload();
    expect(daemon.plugin(status, 'echo')!.state).toBe('running');
    expect(await daemon.json('/echo/v1/ping')).toMatchObject({ greeting: 'hola' });
  });
});
