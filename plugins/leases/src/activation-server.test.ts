import { EventEmitter } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
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
}

/** Talk to the server as a client would: send `chunks` (with pauses), maybe half-close, read until it ends. */
function exchange(chunks: (string | number)[], { halfClose = true } = {}): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let body = '';
    socket.setEncoding('latin1');
    socket.on('data', (data: string) => (body += data));
    socket.on('end', () => resolve({ body, ended: 'end' }));
    socket.on('error', () => resolve({ body, ended: 'reset' }));
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

  it('cuts off a client that sends part of a request and stalls, while others are served', async () => {
    const slow = exchange(['rtcreset SHC', 50, '00000001', TIMEOUT_MS * 4], { halfClose: false });
    const meanwhile = await exchange(['SHC00000001']);
    expect(meanwhile.body).toBe(LEASE);
    expect((await slow).body).toBe('');
    expect(logged).not.toContainEqual(expect.objectContaining({ request: 'rtcreset', outcome: 'none' }));
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

/** A connection the handler can be given, driven by hand under fake timers. */
class FakeConnection extends EventEmitter {
  readonly remoteAddress = '127.0.0.1';
  /** What the handler answered with `end()`; undefined until it ends its side. */
  answer: string | undefined;
  destroyed = false;

  send(text: string): void {
    this.emit('data', Buffer.from(text, 'latin1'));
  }

  end(text = ''): void {
    this.answer = text;
  }

  destroy(): void {
    this.destroyed = true;
    this.emit('close');
  }
}

describe('the port 191 deadlines', () => {
  const cuts: string[] = [];
  const timedLog = {
    info: () => {},
    debug: (fields: Record<string, unknown>) => void (fields.outcome === 'cut' && cuts.push(String(fields.reason))),
  } as unknown as Logger;
  const handle = activationHandler({ answer: (serial) => answers[serial] ?? { outcome: 'none' }, log: timedLog, timeoutMs: TIMEOUT_MS });

  function open(): FakeConnection {
    const connection = new FakeConnection();
    handle(connection as unknown as Socket);
    return connection;
  }

  beforeAll(() => void vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] }));
  /** The last millisecond of a budget; the deadline is judged in that turn's check phase, after waiting input is read. */
  const lastMillisecond = async () => {
    vi.advanceTimersByTime(1);
    await new Promise((resolve) => setImmediate(resolve));
  };
  afterEach(() => {
    cuts.length = 0;
    vi.clearAllTimers();
  });
  afterAll(() => void vi.useRealTimers());

  it('cuts off an overlong request at once, before any deadline', () => {
    const connection = open();
    connection.send('S'.repeat(MAX_REQUEST_BYTES));
    expect(connection.destroyed).toBe(false);
    connection.send('S');
    expect(connection.destroyed).toBe(true);
    expect(connection.answer).toBeUndefined();
    expect(cuts).toEqual([`request over ${MAX_REQUEST_BYTES} bytes`]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('cuts off a client that sends part of a request and stalls, at the deadline', async () => {
    const connection = open();
    connection.send('rtcreset SHC');
    vi.advanceTimersByTime(TIMEOUT_MS - 1);
    connection.send('00000001');
    expect(connection.destroyed).toBe(false);
    await lastMillisecond();
    expect(connection.destroyed).toBe(true);
    expect(connection.answer).toBeUndefined();
    expect(cuts).toEqual([`no request within ${TIMEOUT_MS} ms`]);
  });

  it('cuts off a client that connects and sends nothing, at the deadline', async () => {
    const connection = open();
    vi.advanceTimersByTime(TIMEOUT_MS - 1);
    expect(connection.destroyed).toBe(false);
    await lastMillisecond();
    expect(connection.destroyed).toBe(true);
    expect(cuts).toEqual([`no request within ${TIMEOUT_MS} ms`]);
  });

  it('answers a whole request that is never half-closed at the deadline, then gives the same time to read it', async () => {
    const connection = open();
    connection.send('SHC00000002');
    vi.advanceTimersByTime(TIMEOUT_MS - 1);
    expect(connection.answer).toBeUndefined();
    await lastMillisecond();
    expect(connection.answer).toBe('STOLEN');
    vi.advanceTimersByTime(TIMEOUT_MS - 1);
    expect(connection.destroyed).toBe(false);
    await lastMillisecond();
    expect(connection.destroyed).toBe(true);
  });

  it('answers at once when the client half-closes, leaving no timer behind once closed', () => {
    const connection = open();
    connection.send('SHC00000001');
    connection.emit('end');
    expect(connection.answer).toBe(LEASE);
    connection.destroy();
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('a daemon whose loop ran late', () => {
  it('answers a request that was waiting in the socket when the deadline came due, rather than cutting it', async () => {
    const handler = activationHandler({ answer: (serial) => answers[serial] ?? { outcome: 'none' }, log, timeoutMs: TIMEOUT_MS });
    // Each connection is followed by a stretch of other work longer than the budget, before the loop reads sockets again.
    const late = createServer((socket) => {
      handler(socket);
      const until = Date.now() + TIMEOUT_MS * 2;
      while (Date.now() < until);
    });
    await new Promise<void>((resolve) => late.listen(0, '127.0.0.1', resolve));
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const socket = connect((late.address() as AddressInfo).port, '127.0.0.1');
        let text = '';
        socket.setEncoding('latin1');
        socket.on('data', (data: string) => (text += data));
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
        socket.on('connect', () => socket.end('SHC00000001'));
      });
      expect(body).toBe(LEASE);
    } finally {
      await new Promise((resolve) => late.close(resolve));
    }
  });
});

