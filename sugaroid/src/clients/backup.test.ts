import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { SugaroidErrors } from '../errors.js';
import { availabilityUrl, BACKOFF_BASE_MS, waitForGo } from './backup.js';

/** Answers each serial with the statuses queued for it, then 200. */
let server: Server;
let port: number;
const queued = new Map<string, number[]>();
const asked: { serial: string; at: number }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const serial = /^\/backup\/1\/available\/([A-Z0-9]+)$/.exec(req.url ?? '')?.[1] ?? '';
    asked.push({ serial, at: Date.now() });
    const status = queued.get(serial)?.shift() ?? 200;
    // No keep-alive: the client would arm a timer for the idle connection, and the back-off timers are the ones counted.
    res.writeHead(status, { 'content-type': 'text/plain', 'content-length': '0', connection: 'close' });
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));
afterEach(() => {
  vi.useRealTimers();
});

describe('the availability check, as ds-backup does it', () => {
  it('asks GET /backup/1/available/<SN> on port 80 unless told', () => {
    expect(availabilityUrl('schoolserver', 80, 'SHC0123456A').href).toBe('http://schoolserver/backup/1/available/SHC0123456A');
    expect(availabilityUrl('::1', 8080, 'SHC0123456A').href).toBe('http://[::1]:8080/backup/1/available/SHC0123456A');
  });

  it('goes at once on 200', async () => {
    expect(await waitForGo('127.0.0.1', 'SHC00000001', { httpPort: port })).toBe(1);
  });

  it('waits 60·2ⁿ s after each 503 and asks again', async () => {
    // The clock and the back-off timers are fake; the HTTP exchanges are real.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    queued.set('SHC00000002', [503, 503]);
    const going = waitForGo('127.0.0.1', 'SHC00000002', { httpPort: port });
    const waits: number[] = [];
    let answer: number | undefined;
    void going.then((n) => (answer = n));
    for (let turn = 0; turn < 10_000 && answer === undefined; turn++) {
      if (vi.getTimerCount() > 0) {
        const before = Date.now();
        vi.advanceTimersToNextTimer();
        waits.push(Date.now() - before);
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await going).toBe(3);
    expect(waits).toEqual([BACKOFF_BASE_MS * 2, BACKOFF_BASE_MS * 4]);
    const times = asked.filter((a) => a.serial === 'SHC00000002').map((a) => a.at);
    expect([times[1]! - times[0]!, times[2]! - times[1]!]).toEqual([120_000, 240_000]);
  });

  it('gives up after 6 asks when always busy', async () => {
    queued.set('SHC00000003', [503, 503, 503, 503, 503, 503, 503]);
    await expect(waitForGo('127.0.0.1', 'SHC00000003', { httpPort: port, backoffBaseMs: 1 })).rejects.toSatisfy((err) => SugaroidErrors.BUSY.is(err));
    expect(asked.filter((a) => a.serial === 'SHC00000003')).toHaveLength(6);
  });

  it('stops on 403 (not registered) and on any other status', async () => {
    queued.set('SHC00000004', [403]);
    await expect(waitForGo('127.0.0.1', 'SHC00000004', { httpPort: port })).rejects.toSatisfy((err) => SugaroidErrors.REFUSED.is(err));
    queued.set('SHC00000005', [500]);
    await expect(waitForGo('127.0.0.1', 'SHC00000005', { httpPort: port })).rejects.toMatchObject({ code: 'SUGAROID_ERR_HTTP', status: 500 });
  });
});
