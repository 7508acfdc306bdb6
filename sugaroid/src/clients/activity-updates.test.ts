import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildXo } from '../../../test/fixtures/xo-builder.js';
import { isSugaroidError } from '../errors.js';
import { checkUpdates } from './activity-updates.js';
import { downloadBundle } from './bundle-download.js';

/** A plain web server holding a page and bundles, answering HEAD and single ranges (what a laptop uses). */
let server: Server;
let base: string;
const files = new Map<string, Buffer>();
const seen: { method: string; url: string; range?: string; cacheControl?: string }[] = [];

beforeAll(async () => {
  files.set('/bundles/Paint-34.xo', await buildXo({ id: 'org.laptop.Paint', name: 'Paint', version: '34', translations: { es: { name: 'Pintar' } }, padding: 300_000 }));
  files.set('/bundles/Chat-86.xo', await buildXo({ id: 'org.laptop.Chat', name: 'Chat', version: '86' }));
  files.set('/bundles/fake.xo', Buffer.from('not a zip at all'));
  const entry = (id: string, version: string, file: string) =>
    `<li class="olpc-activity-info"><span class="olpc-activity-id">${id}</span><span class="olpc-activity-version">${version}</span><a class="olpc-activity-url" href="bundles/${file}">get</a></li>`;
  files.set('/', Buffer.from(`<h1 id="olpc-activity-group-name">Test</h1><ul>${entry('org.laptop.Paint', '34', 'Paint-34.xo')}${entry('org.laptop.Chat', '86', 'Chat-86.xo')}</ul>`));
  files.set('/broken/', Buffer.from(entry('org.fake', '1', 'fake.xo').replace('bundles/', '../bundles/')));
  server = createServer((req, res) => {
    seen.push({ method: req.method!, url: req.url!, range: req.headers.range, cacheControl: req.headers['cache-control'] });
    const data = files.get(req.url!);
    if (!data) return void res.writeHead(404).end();
    const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    if (range) {
      const [start, end] = [Number(range[1]), Math.min(Number(range[2]), data.length - 1)];
      res.writeHead(206, { 'Content-Range': `bytes ${start}-${end}/${data.length}`, 'Content-Length': end - start + 1 });
      return void res.end(data.subarray(start, end + 1));
    }
    res.writeHead(200, { 'Content-Length': data.length });
    res.end(req.method === 'HEAD' ? undefined : data);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('checking for updates as Sugar does', () => {
  it('asks for the page allowing a 10-minute cache, and offers what is newer than installed', async () => {
    seen.length = 0;
    const check = await checkUpdates(`${base}/`, { installed: [{ id: 'org.laptop.Paint', version: '33', name: 'Paint' }, { id: 'org.laptop.Chat', version: '86' }] });
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/', cacheControl: 'max-age=600' });
    expect(check.updates).toEqual([{
      id: 'org.laptop.Paint', version: '34', url: `${base}/bundles/Paint-34.xo`, size: files.get('/bundles/Paint-34.xo')!.length,
      optional: false, installedVersion: '33', name: 'Paint', iconSvg: null,
    }]);
    expect(seen.slice(1)).toEqual([expect.objectContaining({ method: 'HEAD', url: '/bundles/Paint-34.xo' })]);
  });

  it('reads name and icon of a bundle not installed by a few Range requests, never the whole file', async () => {
    seen.length = 0;
    const check = await checkUpdates(`${base}/`, { locale: 'es_PE', installed: [{ id: 'org.laptop.Chat', version: '86' }] });
    expect(check.updates).toEqual([expect.objectContaining({ id: 'org.laptop.Paint', name: 'Pintar', installedVersion: null, iconSvg: expect.stringContaining('<svg') })]);
    const gets = seen.filter((r) => r.method === 'GET' && r.url !== '/');
    expect(gets.every((r) => r.range !== undefined)).toBe(true);
    expect(check.rangeRequests).toBe(gets.length);
    expect(gets.length).toBeLessThanOrEqual(4);
  });

  it('reports a bundle it cannot read, and refuses installed versions Sugar would not take', async () => {
    const check = await checkUpdates(`${base}/broken/`);
    expect(check.updates).toEqual([]);
    expect(check.failed).toEqual([{ id: 'org.fake', reason: expect.stringMatching(/not a zip archive/) }]);
    const err = await checkUpdates(`${base}/`, { installed: [{ id: 'x', version: 'v2' }] }).catch((e: unknown) => e);
    expect(isSugaroidError(err) && err.code).toBe('SUGAROID_ERR_USAGE');
  });
});

describe('downloading a bundle', () => {
  it('checks it against the page above it', async () => {
    const result = await downloadBundle(`${base}/bundles/Chat-86.xo`, { index: `${base}/` });
    expect(result).toMatchObject({ id: 'org.laptop.Chat', version: '86', name: 'Chat', size: files.get('/bundles/Chat-86.xo')!.length, file: null });
  });

  it('refuses a bundle that is not what was expected, or not a bundle', async () => {
    const wrong = await downloadBundle(`${base}/bundles/Chat-86.xo`, { expect: { id: 'org.laptop.Chat', version: '87' } }).catch((e: unknown) => e);
    expect(isSugaroidError(wrong) && wrong.message).toMatch(/the bundle is org.laptop.Chat version 86, the index says org.laptop.Chat version 87/);
    const fake = await downloadBundle(`${base}/bundles/fake.xo`, { expect: { id: 'org.fake', version: '1' } }).catch((e: unknown) => e);
    expect(isSugaroidError(fake) && fake.message).toMatch(/not a bundle Sugar would install/);
    const unlisted = await downloadBundle(`${base}/bundles/Chat-86.xo`, { index: `${base}/broken/` }).catch((e: unknown) => e);
    expect(isSugaroidError(unlisted) && unlisted.message).toMatch(/does not list it/);
    const missing = await downloadBundle(`${base}/bundles/none.xo`, { expect: { id: 'a', version: '1' } }).catch((e: unknown) => e);
    expect(isSugaroidError(missing) && missing.code).toBe('SUGAROID_ERR_HTTP');
  });
});
