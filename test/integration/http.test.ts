import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess } from '../harness/index.js';

describe('HTTP: admin credential, body limits, errors, metrics', () => {
  let daemon: DaemonProcess;
  let token: string;

  beforeAll(async () => {
    daemon = await DaemonProcess.start({ config: '[plugins]\necho = on\nthrower = on\n[echo]\nupload_limit = 64\n' });
    token = (await readFile(join(daemon.root, 'etc/sugar-server/admin.token'), 'utf8')).trim();
  });
  afterAll(() => daemon?.dispose());

  it('creates the admin token on first start, readable only by its owner', async () => {
    const info = await stat(join(daemon.root, 'etc/sugar-server/admin.token'));
    expect(info.mode & 0o777).toBe(0o600);
    expect(token.length).toBeGreaterThanOrEqual(32);
  });

  it('lets admin routes through only with the token', async () => {
    const none = await daemon.fetch('/echo/v1/secret');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await none.json()).error.code).toBe('SERVER_ERR_UNAUTHORIZED');
    const wrong = await daemon.fetch('/echo/v1/secret', { headers: { Authorization: `Bearer ${token.slice(0, -1)}x` } });
    expect(wrong.status).toBe(401);
    const right = await daemon.fetch('/echo/v1/secret', { headers: { Authorization: `Bearer ${token}` } });
    expect(right.status).toBe(200);
    expect(await right.json()).toEqual({ secret: 'only for admins' });
  });

  it('shows no secrets in /status', async () => {
    const text = await (await daemon.fetch('/status')).text();
    expect(text).not.toContain(token);
    expect(text).not.toContain('upload_limit');
  });

  it('refuses a body over the route limit with 413 and a JSON error', async () => {
    const response = await daemon.fetch('/echo/v1/items', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ id: 1, padding: 'x'.repeat(200) }),
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ error: { code: 'SERVER_ERR_BODY_TOO_LARGE', message: 'request body is larger than 64 bytes' } });
  });

  it('answers bad JSON and wrong media types with their own codes', async () => {
    const bad = await daemon.fetch('/echo/v1/items', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"id":' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.code).toBe('SERVER_ERR_BAD_REQUEST');
    const text = await daemon.fetch('/echo/v1/items', { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'id=1' });
    expect(text.status).toBe(415);
  });

  it('answers 405 with Allow for a known path and a wrong method', async () => {
    const response = await daemon.fetch('/echo/v1/ping', { method: 'DELETE' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toContain('GET');
  });

  it('gives every response a request id', async () => {
    const a = await daemon.fetch('/status');
    const b = await daemon.fetch('/status');
    expect(a.headers.get('x-request-id')).toMatch(/^[0-9a-f]{6}-[0-9a-z]+$/);
    expect(a.headers.get('x-request-id')).not.toBe(b.headers.get('x-request-id'));
  });

  it('exports request counts per plugin and plugin states as Prometheus text', async () => {
    await daemon.fetch('/echo/v1/ping');
    await daemon.fetch('/echo/v1/ping');
    const response = await daemon.fetch('/metrics');
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    const count = /sugar_server_http_request_duration_seconds_count\{plugin="echo",method="GET",code="200"\} (\d+)/.exec(text);
    expect(Number(count?.[1])).toBeGreaterThanOrEqual(2);
    expect(text).toContain('sugar_server_plugin_state{service="echo",package="fixture-echo",state="running"} 1');
    expect(text).toContain('sugar_server_plugin_state{service="thrower",package="fixture-throws",state="failed"} 1');
    expect(text).toContain('process_resident_memory_bytes');
  });
});

describe('a plugin that keeps the event loop busy', () => {
  let daemon: DaemonProcess;
  beforeAll(async () => {
    daemon = await DaemonProcess.start({ config: '[plugins]\nbusy = on\necho = on\n' });
  });
  afterAll(() => daemon?.dispose());

  it('is named in a warning, counted in /metrics, and the lag shows in /status', async () => {
    const spin = await daemon.fetch('/busy/v1/spin?ms=400');
    expect(spin.status).toBe(200);

    const warning = await daemon.waitForLog((line) => line.plugin === 'busy' && line.level === 40);
    expect(warning).toMatchObject({ method: 'GET', path: '/busy/v1/spin' });
    expect(warning.msg).toContain('kept the event loop busy');
    expect(warning.ms as number).toBeGreaterThanOrEqual(400);

    const metrics = await (await daemon.fetch('/metrics')).text();
    expect(metrics).toMatch(/^sugar_server_plugin_slow_callbacks_total\{plugin="busy",phase="route"\} 1$/m);
    expect(metrics).not.toMatch(/sugar_server_plugin_slow_callbacks_total\{plugin="echo"/);
    expect(metrics).toMatch(/^nodejs_eventloop_lag_p99_seconds /m);

    const lag = (await daemon.status()).server.eventLoop.lagMs;
    // The loop could not turn for the 400 ms the route spun.
    expect(lag.max).toBeGreaterThanOrEqual(300);
    expect(lag.p50).toBeLessThanOrEqual(lag.p99);
    expect(lag.p99).toBeLessThanOrEqual(lag.max);
  });
});

describe('SIGTERM', () => {
  it('drains an in-flight request, stops plugins and exits 0', async () => {
    const daemon = await DaemonProcess.start({ config: '[plugins]\necho = on\n' });
    try {
      const slow = daemon.fetch('/echo/v1/slow?ms=800');
      await daemon.waitForLog((l) => l.msg === 'echo running');
      await new Promise((resolve) => setTimeout(resolve, 200));
      const code = daemon.stop('SIGTERM');
      const response = await slow;
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ slow: true });
      expect(await code).toBe(0);
      expect(daemon.logs.some((l) => l.msg === 'echo stop called')).toBe(true);
      expect(daemon.logs.at(-1)?.msg).toBe('sugar-server stopped');
    } finally {
      await daemon.dispose();
    }
  });
});
