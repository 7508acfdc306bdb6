import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../http/app.js';
import { Metrics } from '../metrics.js';
import { FeedPublisher } from './publisher.js';
import type { PublishedFile } from './types.js';

const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

describe('FeedPublisher serving files', () => {
  let dir: string;
  let server: Server;
  let url: string;
  let listed: PublishedFile[];
  let listings: number;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sugar-publisher-'));
    listings = 0;
    const publisher = new FeedPublisher(join(dir, 'feeds-published.json'));
    publisher.publish('notes-plugin', {
      name: 'notes',
      files: () => {
        listings++;
        return listed;
      },
    });
    const app = createApp({ log: pino({ level: 'silent' }), metrics: new Metrics(() => []), owner: 'core', bodyLimit: 1024 });
    app.use(publisher.router.routes());
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/feeds/v1/notes/`;
  });

  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  const get = (path: string, headers: Record<string, string> = {}) => fetch(new URL(path, url), { headers });

  it('answers a mirror asking by digest from the manifest it built, without listing the feed again per file', async () => {
    listed = Array.from({ length: 50 }, (_, i) => ({ path: `part/${i}.txt`, data: Buffer.from(`note ${i}`) }));
    const manifest = (await (await get('manifest.json')).json()) as { files: { path: string; sha256: string }[] };
    expect(listings).toBe(1);
    for (const file of manifest.files) {
      const response = await get(file.path, { 'If-Match': `"${file.sha256}"` });
      expect(response.status).toBe(200);
      expect(sha(Buffer.from(await response.arrayBuffer()))).toBe(file.sha256);
    }
    expect(listings).toBe(1);
  });

  it('gives a mirror the bytes of the manifest it read, and 412 once the feed was built again without them', async () => {
    listed = [{ path: 'a.txt', data: Buffer.from('one') }];
    await get('manifest.json');
    listed = [{ path: 'a.txt', data: Buffer.from('two') }];
    expect(await (await get('a.txt', { 'If-Match': `"${sha('one')}"` })).text()).toBe('one');
    expect(await (await get('a.txt')).text()).toBe('two');
    expect((await get('a.txt', { 'If-Match': `"${sha('one')}"` })).status).toBe(412);
    expect(await (await get('a.txt', { 'If-Match': `"${sha('two')}"` })).text()).toBe('two');
  });

  it('does not serve a file on disk changed since the manifest under the digest it had', async () => {
    const file = join(dir, 'bundle.bin');
    await writeFile(file, 'first');
    listed = [{ path: 'bundle.bin', file }];
    await get('manifest.json');
    await writeFile(file, 'second, longer');
    expect((await get('bundle.bin', { 'If-Match': `"${sha('first')}"` })).status).toBe(412);
    const now = await get('bundle.bin', { 'If-Match': `"${sha('second, longer')}"` });
    expect(await now.text()).toBe('second, longer');
  });

  it('serves only what the feed lists, asked by digest or not', async () => {
    listed = [{ path: 'a.txt', data: Buffer.from('one') }];
    await get('manifest.json');
    expect((await get('b.txt')).status).toBe(404);
    expect((await get('b.txt', { 'If-Match': `"${sha('one')}"` })).status).toBe(404);
  });
});
