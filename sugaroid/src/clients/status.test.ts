import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSugaroidError, SugaroidErrors } from '../errors.js';
import { fetchStatus, type ServerStatus } from './status.js';

const STATUS: ServerStatus = {
  server: {
    name: 'sugar-server',
    version: '0.1.0',
    pluginApi: '1.0.0',
    state: 'running',
    uptime: 12,
    config: { generation: 1, loadedAt: '2025-01-01T00:00:00.000Z', lastError: null },
  },
  plugins: [
    {
      service: 'registry', package: '@sugar-server/registry', version: '0.1.0', enabled: true, state: 'running',
      dependsOn: [], uptime: 11, error: null, listeners: [{ name: 'xmlrpc', address: '127.0.0.1', port: 8080 }],
    },
    {
      service: 'leases', package: null, version: null, enabled: true, state: 'failed', dependsOn: ['registry'],
      uptime: null, error: { code: 'SERVER_ERR_PLUGIN_START', message: 'leases failed to start: boom' }, listeners: [],
    },
  ],
  standby: [],
  rejected: [{ package: 'broken-plugin', reason: 'no manifest' }],
};

let server: Server;
let base: string;
let closedPort: number;

beforeAll(async () => {
  server = createServer((req, res) => {
    switch (req.url) {
      case '/status':
      case '/prefix/status':
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(STATUS));
        return;
      case '/html/status':
        res.setHeader('content-type', 'text/html');
        res.end('<html>It works!</html>');
        return;
      case '/fail/status':
        res.statusCode = 500;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ error: { code: 'SERVER_ERR_INTERNAL', message: 'internal error' } }));
        return;
      case '/shape/status':
        res.end(JSON.stringify({ ...STATUS, plugins: [{ ...STATUS.plugins[0], state: 42 }] }));
        return;
      case '/array/status':
        res.end('[]');
        return;
      case '/slow/status':
        return; // never answers
      default:
        res.statusCode = 404;
        res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const spare = createServer();
  await new Promise<void>((resolve) => spare.listen(0, '127.0.0.1', resolve));
  closedPort = (spare.address() as AddressInfo).port;
  await new Promise((resolve) => spare.close(resolve));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function failure(promise: Promise<unknown>) {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  if (!isSugaroidError(err)) throw new Error(`expected a SugaroidError, got ${String(err)}`);
  return err;
}

describe('fetchStatus', () => {
  it('returns the status document', async () => {
    expect(await fetchStatus(base)).toEqual(STATUS);
    expect(await fetchStatus(`${base}/`)).toEqual(STATUS);
  });

  it('keeps a path prefix in the server URL', async () => {
    expect(await fetchStatus(`${base}/prefix`)).toEqual(STATUS);
  });

  it('reports a non-2xx answer as HTTP with the status and the server message', async () => {
    const err = await failure(fetchStatus(`${base}/fail`));
    expect(err.code).toBe(SugaroidErrors.HTTP.code);
    expect(err.status).toBe(500);
    expect(err.message).toContain('SERVER_ERR_INTERNAL: internal error');
    expect((await failure(fetchStatus(`${base}/missing`))).status).toBe(404);
  });

  it('reports a body that is not JSON as BAD_ANSWER', async () => {
    const err = await failure(fetchStatus(`${base}/html`));
    expect(err.code).toBe(SugaroidErrors.BAD_ANSWER.code);
    expect(err.message).toContain('not JSON (text/html)');
  });

  it('reports JSON of the wrong shape as BAD_ANSWER, naming the field', async () => {
    const wrong = await failure(fetchStatus(`${base}/shape`));
    expect(wrong.code).toBe(SugaroidErrors.BAD_ANSWER.code);
    expect(wrong.message).toContain('plugins[0].state');
    expect((await failure(fetchStatus(`${base}/array`))).message).toContain('should be an object');
  });

  it('gives up after timeoutMs', async () => {
    const err = await failure(fetchStatus(`${base}/slow`, { timeoutMs: 100 }));
    expect(err.code).toBe(SugaroidErrors.TIMEOUT.code);
  });

  it('reports a refused connection as UNREACHABLE', async () => {
    const err = await failure(fetchStatus(`http://127.0.0.1:${closedPort}`));
    expect(err.code).toBe(SugaroidErrors.UNREACHABLE.code);
    expect(err.message).toContain('ECONNREFUSED');
  });

  it('refuses a server URL that is not absolute http(s)', async () => {
    for (const url of ['schoolserver', 'ftp://schoolserver/', 'http://user:pw@schoolserver/']) {
      expect((await failure(fetchStatus(url))).code).toBe(SugaroidErrors.BAD_SERVER_URL.code);
    }
  });
});
