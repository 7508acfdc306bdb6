import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SugaroidErrors } from '../errors.js';
import { availabilityUrl, waitForGo } from './backup.js';

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
    res.writeHead(status, { 'content-type': 'text/plain', 'content-length': '0' });
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

describe('the availability check, as ds-backup does it', () => {
  it('asks GET /backup/1/available/<SN> on port 80 unless told', () => {
    expect(availabilityUrl('schoolserver', 80, 'SHC0123456A').href).toBe('http://schoolserver/backup/1/available/SHC0123456A');
    expect(availabilityUrl('::1', 8080, 'SHC0123456A').href).toBe('http://[::1]:8080/backup/1/available/SHC0123456A');
  });

  it('goes at once on 200', async () => {
    expect(await waitForGo('127.0.0.1', 'SHC00000001', { httpPort: port })).toBe(1);
  });

  it('waits 60·2ⁿ (here 10·2ⁿ ms) after each 503 and asks again', async () => {
    queued.set('SHC00000002', [503, 503]);
    expect(await waitForGo('127.0.0.1', 'SHC00000002', { httpPort: port, backoffBaseMs: 10 })).toBe(3);
    const times = asked.filter((a) => a.serial === 'SHC00000002').map((a) => a.at);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(19);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(39);
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
