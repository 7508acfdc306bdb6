import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from 'sugar-server';
import { activationHandler, MAX_REQUEST_BYTES, parseActivationRequest } from './activation-server.js';
import type { Answer } from './lease-store.js';

const LEASE = 'act01: SHC00000001 K 20300101T000000Z sig01: sha256 ab cd\nact01: SHC00000001 K 20310101T000000Z sig01: sha256 ab ef\n';
const TIMEOUT_MS = 300;

const answers: Record<string, Answer> = {
  SHC00000001: { outcome: 'lease', text: LEASE },
  SHC00000002: { outcome: 'stolen' },
};
const logged: Record<string, unknown>[] = [];
const log = {
  info: (fields: Record<string, unknown>) => void logged.push(fields),
  debug: () => {},
} as unknown as Logger;

let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer(activationHandler({ answer: (serial) => answers[serial] ?? { outcome: 'none' }, log, timeoutMs: TIMEOUT_MS }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

interface Exchange {
  /** What the server sent before the connection ended. */
  readonly body: string;
  /** How it ended: a clean close (FIN) or a reset. */
  readonly ended: 'end' | 'reset';
  readonly ms: number;
}

/** Talk to the server as a client would: send `chunks` (with pauses), maybe half-close, read until it ends. */
function exchange(chunks: (string | number)[], { halfClose = true } = {}): Promise<Exchange> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const socket = connect(port, '127.0.0.1');
    let body = '';
    socket.setEncoding('latin1');
    socket.on('data', (data: string) => (body += data));
    socket.on('end', () => resolve({ body, ended: 'end', ms: Date.now() - t0 }));
    socket.on('error', () => resolve({ body, ended: 'reset', ms: Date.now() - t0 }));
    socket.on('connect', async () => {
      for (const chunk of chunks) {
        if (typeof chunk === 'number') await new Promise((r) => setTimeout(r, chunk));
        else if (!socket.destroyed) socket.write(chunk);
      }
      if (halfClose && !socket.destroyed) socket.end();
    });
  });
}

describe('parseActivationRequest', () => {
  it.each([
    ['SHC00000001', { kind: 'serial', serial: 'SHC00000001' }],
    ['SHC00000001\n', { kind: 'serial', serial: 'SHC00000001' }],
    ['SHC00000001\r\n', { kind: 'serial', serial: 'SHC00000001' }],
    ['rtcreset SHC00000001 20110512T003512Z 0000000135', { kind: 'rtcreset', serial: 'SHC00000001' }],
    ['', null],
    ['SHC 00000001', null],
    ['GET / HTTP/1.1\r\n\r\n', null],
    ['rtcreset SHC00000001', null],
    ['SHC00000001\n\n', null],
  ])('reads %j', (text, request) => {
    expect(parseActivationRequest(Buffer.from(text, 'latin1'))).toEqual(request);
  });
});

describe('the port 191 exchange', () => {
  it('answers a bare serial with all of its leases, as stored', async () => {
    expect(await exchange(['SHC00000001'])).toMatchObject({ body: LEASE, ended: 'end' });
    expect(logged).toContainEqual(expect.objectContaining({ serial: 'SHC00000001', outcome: 'lease', request: 'serial' }));
    expect(JSON.stringify(logged)).not.toContain('act01');
  });

  it('answers the rtcreset form for its serial', async () => {
    expect(await exchange(['rtcreset SHC00000001 20110512T003512Z 0000000135'])).toMatchObject({ body: LEASE, ended: 'end' });
  });

  it('answers exactly STOLEN, without a newline, to a stolen serial', async () => {
    expect(await exchange(['SHC00000002'])).toMatchObject({ body: 'STOLEN', ended: 'end' });
  });

  it('closes with nothing when it has no lease', async () => {
    expect(await exchange(['SHC0000000F'])).toMatchObject({ body: '', ended: 'end' });
    expect(logged).toContainEqual(expect.objectContaining({ serial: 'SHC0000000F', outcome: 'none' }));
  });

  it('closes with nothing on garbage', async () => {
    expect(await exchange(['GET / HTTP/1.1\r\nHost: x\r\n\r\n'])).toMatchObject({ body: '' });
    expect(await exchange(['\0\x01\x02'])).toMatchObject({ body: '' });
  });

  it('cuts off an overlong request at once, before any deadline', async () => {
    const result = await exchange(['S'.repeat(MAX_REQUEST_BYTES + 1), 2000], { halfClose: false });
    expect(result.body).toBe('');
    expect(result.ms).toBeLessThan(TIMEOUT_MS);
  });

  it('cuts off a client that sends part of a request and stalls, while others are served', async () => {
    const slow = exchange(['rtcreset SHC', 50, '00000001', TIMEOUT_MS * 4], { halfClose: false });
    const meanwhile = await exchange(['SHC00000001']);
    expect(meanwhile.body).toBe(LEASE);
    const result = await slow;
    expect(result.body).toBe('');
    expect(result.ms).toBeLessThan(TIMEOUT_MS * 4);
    expect(logged).not.toContainEqual(expect.objectContaining({ request: 'rtcreset', outcome: 'none' }));
  });

  it('cuts off a client that connects and sends nothing', async () => {
    const result = await exchange([TIMEOUT_MS * 4], { halfClose: false });
    expect(result).toMatchObject({ body: '' });
    expect(result.ms).toBeLessThan(TIMEOUT_MS * 4);
  });

  it('still answers a whole serial from a client that never half-closes (nc without -N), at the deadline', async () => {
    const result = await exchange(['SHC00000002'], { halfClose: false });
    expect(result).toMatchObject({ body: 'STOLEN', ended: 'end' });
  });

  it('serves many laptops at once', async () => {
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => exchange([i % 2 ? 'SHC00000001' : 'SHC00000002'])));
    results.forEach((r, i) => expect(r.body).toBe(i % 2 ? LEASE : 'STOLEN'));
  });
});
