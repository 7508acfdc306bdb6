import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DaemonProcess } from '../harness/index.js';

describe('plugin isolation: one bad plugin never takes the daemon down', () => {
  let daemon: DaemonProcess;

  beforeAll(async () => {
    daemon = await DaemonProcess.start({
      config: `[plugins]
echo = on
thrower = on
hanger = on
badimport = on
dependant = on
counter = on
user = on

[echo]
greeting = good morning
listeners = on
`,
    });
  });
  afterAll(() => daemon?.dispose());

  it('serves the good plugins while the throwing one is marked failed with its message', async () => {
    const status = await daemon.status();
    expect(status.server.state).toBe('running');
    const thrower = daemon.plugin(status, 'thrower')!;
    expect(thrower.state).toBe('failed');
    expect(thrower.error?.message).toContain('the lease database is on fire');
    expect(thrower.error?.code).toBe('SERVER_ERR_PLUGIN_START');

    const echo = daemon.plugin(status, 'echo')!;
    expect(echo).toMatchObject({ state: 'running', package: 'fixture-echo', version: '1.2.3', enabled: true, error: null });
    expect(await daemon.json('/echo/v1/ping')).toMatchObject({ greeting: 'good morning' });
  });

  it('never serves routes of a plugin whose start failed', async () => {
    const response = await daemon.fetch('/thrower/v1/hello');
    expect(response.status).toBe(404);
  });

  it('gives up on a plugin that hangs in start, and closes the port it took', async () => {
    const status = await daemon.status();
    const hanger = daemon.plugin(status, 'hanger')!;
    expect(hanger.state).toBe('failed');
    expect(hanger.error).toMatchObject({ code: 'SERVER_ERR_PLUGIN_TIMEOUT' });
    expect(hanger.error!.message).toMatch(/hanger did not finish start within 2000 ms/);
    expect(hanger.listeners).toEqual([]);
    const took = daemon.logs.find((l) => l.plugin === 'hanger' && l.listener === 'stuck');
    expect(took, 'the hanging plugin bound its port before hanging').toBeDefined();
    const { connect } = await import('node:net');
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect(took!.port as number, '127.0.0.1');
      socket.on('connect', () => (socket.destroy(), resolve(false)));
      socket.on('error', () => resolve(true));
    });
    expect(refused).toBe(true);
  });

  it('marks a plugin whose module throws on import as failed', async () => {
    const bad = daemon.plugin(await daemon.status(), 'badimport')!;
    expect(bad.state).toBe('failed');
    expect(bad.error).toMatchObject({ code: 'SERVER_ERR_PLUGIN_IMPORT' });
    expect(bad.error!.message).toContain('module top level exploded');
  });

  it('does not start a plugin whose dependency failed, and says why', async () => {
    const dependant = daemon.plugin(await daemon.status(), 'dependant')!;
    expect(dependant.state).toBe('blocked');
    expect(dependant.error!.message).toContain('it needs service "thrower", which is failed');
  });

  it('reports packages with a wrong API range or no manifest by name, without importing them', async () => {
    const { rejected } = await daemon.status();
    expect(rejected).toEqual(
      expect.arrayContaining([
        { package: 'fixture-wrong-api', reason: 'needs plugin API ^2.0.0, this server provides 1.1.0' },
        { package: 'fixture-no-manifest', reason: expect.stringContaining('no "sugar-server" manifest') },
      ]),
    );
    expect(daemon.logs.some((l) => String(l.msg).includes('must never be imported'))).toBe(false);
  });

  it('answers 500 for a route that throws, without internals, and keeps serving', async () => {
    const boom = await daemon.fetch('/echo/v1/boom');
    expect(boom.status).toBe(500);
    const body = await boom.json();
    expect(body.error.code).toBe('SERVER_ERR_INTERNAL');
    expect(JSON.stringify(body)).not.toContain('hunter2');
    expect(body.error.message).toContain(boom.headers.get('x-request-id'));
    const logged = await daemon.waitForLog((l) => l.requestId === boom.headers.get('x-request-id'));
    expect(JSON.stringify(logged)).toContain('hunter2');
    expect((await daemon.fetch('/echo/v1/ping')).status).toBe(200);
  });

  it('lets plugins share services through the container, in dependency order', async () => {
    expect(await daemon.json('/user/v1/count')).toEqual({ count: 1 });
    expect(await daemon.json('/user/v1/count')).toEqual({ count: 2 });
    const order = daemon.logs.filter((l) => /^(counter|user) running$/.test(l.msg)).map((l) => l.plugin);
    expect(order).toEqual(['counter', 'user']);
  });

  it('serves extra TCP and HTTP ports a plugin asked for', async () => {
    const echo = daemon.plugin(await daemon.status(), 'echo')!;
    const tcp = echo.listeners.find((l) => l.name === 'echo-tcp')!;
    const http = echo.listeners.find((l) => l.name === 'echo-http')!;
    const { connect } = await import('node:net');
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(tcp.port, '127.0.0.1', () => socket.end('SHC0123456A'));
      let data = '';
      socket.on('data', (chunk) => (data += chunk));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    expect(reply).toBe('SHC0123456A');
    const side = await fetch(`http://127.0.0.1:${http.port}/`, { method: 'POST' });
    expect(await side.text()).toBe('side port');
    expect((await fetch(`http://127.0.0.1:${http.port}/echo/v1/ping`)).status).toBe(404);
  });
});

describe('two packages providing one service', () => {
  it('refuses to guess which one runs and names both', async () => {
    await expect(DaemonProcess.start({ config: '[plugins]\ngreeter = on\n' })).rejects.toThrow(
      /\[plugins\] greeter: 2 packages provide "greeter" \(fixture-greeter-a, fixture-greeter-b\); choose one with \[providers\] greeter = <package>/,
    );
  });

  it('runs the provider that [providers] names and lists the other as standby', async () => {
    const daemon = await DaemonProcess.start({ config: '[plugins]\ngreeter = on\n[providers]\ngreeter = fixture-greeter-b\n' });
    try {
      expect(await daemon.json('/greeter/v1/who')).toEqual({ provider: 'fixture-greeter-b' });
      const status = await daemon.status();
      expect(daemon.plugin(status, 'greeter')).toMatchObject({ package: 'fixture-greeter-b', state: 'running' });
      expect(status.standby).toContainEqual(expect.objectContaining({ package: 'fixture-greeter-a', service: 'greeter' }));
    } finally {
      await daemon.dispose();
    }
  });
});

describe('while plugins are starting', () => {
  let daemon: DaemonProcess | undefined;
  afterAll(() => daemon?.dispose());

  it('answers 503 with Retry-After for the paths of a plugin still starting, and 404 only for paths nobody owns', async () => {
    daemon = await DaemonProcess.launch({ config: '[core]\nstart_timeout = 20s\n[plugins]\nslow = on\n[slow]\nstart_delay = 4s\n' });

    for (const path of ['/slow/v1/ping', '/slowpoke', '/old-clients/xo']) {
      const response = await daemon.fetch(path);
      expect(response.status, path).toBe(503);
      expect(Number(response.headers.get('retry-after')), path).toBeGreaterThan(0);
      expect((await response.json()).error, path).toMatchObject({ code: 'SERVER_ERR_SERVICE_STARTING', message: 'slow is starting; try again shortly' });
    }
    // "Come back later" is an answer the protocols call for, logged at info, never as a failed request.
    await vi.waitFor(() => expect(daemon!.logs.filter((line) => line.code === 'SERVER_ERR_SERVICE_STARTING' && line.level === 30)).toHaveLength(3));
    expect(daemon.logs.filter((line) => line.level >= 50)).toEqual([]);
    for (const path of ['/nobody/v1/thing', '/thrower/v1/hello', '/slowpoke/deeper', '/slow']) {
      const response = await daemon.fetch(path);
      expect(response.status, path).toBe(404);
      expect((await response.json()).error.code, path).toBe('SERVER_ERR_NOT_FOUND');
    }

    await daemon.waitUntilReady();
    expect(await daemon.json('/slow/v1/ping')).toEqual({ pong: true });
    expect(await daemon.json('/slowpoke')).toEqual({ pong: true });
    expect(await daemon.json('/old-clients/xo')).toEqual({ name: 'xo' });
  });
});
