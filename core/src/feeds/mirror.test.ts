import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, readlink, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkManifest, isSafeFeedPath } from './manifest.js';
import { MirroredFeed } from './mirror.js';
import type { FeedSnapshot } from './types.js';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

/** A publisher on loopback whose files and manifest the test changes at will. */
class FakePublisher {
  files = new Map<string, string>();
  manifestOverride: unknown;
  requests: string[] = [];
  server: Server;
  url = '';

  constructor() {
    this.server = createServer((req, res) => {
      this.requests.push(`${req.method} ${req.url} ${req.headers['if-none-match'] ?? ''}`.trim());
      if (req.url === '/feed/manifest.json') {
        const manifest = this.manifestOverride ?? {
          name: 'notes',
          generated: '2026-11-01T00:00:00.000Z',
          files: [...this.files].map(([path, text]) => ({ path, sha256: sha(text), size: Buffer.byteLength(text) })),
        };
        const body = JSON.stringify(manifest);
        const etag = `"${sha(body).slice(0, 16)}"`;
        if (req.headers['if-none-match'] === etag) return void res.writeHead(304).end();
        return void res.writeHead(200, { ETag: etag, 'Content-Type': 'application/json' }).end(body);
      }
      const path = decodeURIComponent(req.url!.replace('/feed/', ''));
      const text = this.files.get(path);
      if (text === undefined) return void res.writeHead(404).end();
      res.writeHead(200).end(this.corrupt === path ? `${text}!` : text);
    });
  }

  corrupt: string | undefined;

  async listen() {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/feed/`;
  }
}

describe('MirroredFeed', () => {
  let dir: string;
  let publisher: FakePublisher;
  let abort: AbortController;
  const applied: Record<string, string>[] = [];
  let refuse = false;

  const mirror = (intervalMs = 3_600_000) =>
    new MirroredFeed(
      {
        name: 'notes',
        url: publisher.url,
        intervalMs,
        apply: async (snapshot: FeedSnapshot) => {
          if (refuse) throw new Error('bundle refused by the plugin');
          const files: Record<string, string> = {};
          for (const f of snapshot.manifest.files) files[f.path] = await readFile(snapshot.file(f.path), 'utf8');
          applied.push(files);
        },
      },
      dir,
      pino({ level: 'silent' }),
      abort.signal,
    );

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sugar-feed-'));
    publisher = new FakePublisher();
    await publisher.listen();
    abort = new AbortController();
    applied.length = 0;
    refuse = false;
  });
  afterEach(async () => {
    abort.abort();
    publisher.server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('applies a verified copy, asks conditionally afterwards and fetches only changed files', async () => {
    publisher.files.set('a.txt', 'one').set('sub/b.txt', 'two');
    const feed = mirror();
    let state = await feed.refresh();
    expect(state.lastError).toBeNull();
    expect(applied).toEqual([{ 'a.txt': 'one', 'sub/b.txt': 'two' }]);

    state = await feed.refresh();
    expect(applied).toHaveLength(1);
    expect(publisher.requests.at(-1)).toMatch(/^GET \/feed\/manifest\.json "[0-9a-f]+"$/);

    publisher.files.set('sub/b.txt', 'three');
    publisher.requests = [];
    await feed.refresh();
    expect(applied.at(-1)).toEqual({ 'a.txt': 'one', 'sub/b.txt': 'three' });
    expect(publisher.requests.filter((r) => r.includes('a.txt'))).toEqual([]);
    expect(await readlink(join(dir, 'feeds/notes/current'))).toMatch(/^snapshots\/\d+-[0-9a-f]{12}$/);
  });

  it('keeps the last good copy when a file does not match its digest', async () => {
    publisher.files.set('a.txt', 'one');
    const feed = mirror();
    await feed.refresh();
    const before = await readlink(join(dir, 'feeds/notes/current'));
    publisher.files.set('a.txt', 'changed');
    publisher.corrupt = 'a.txt';
    const state = await feed.refresh();
    expect(state.lastError).toMatch(/does not match its manifest: larger than the 7 bytes announced/);
    expect(state.generated).toBe('2026-11-01T00:00:00.000Z');
    expect(applied).toHaveLength(1);
    expect(await readlink(join(dir, 'feeds/notes/current'))).toBe(before);
  });

  it('refuses a manifest listing a file of the name the mirror keeps its own copy of the manifest under', async () => {
    publisher.files.set('.manifest.json', 'the publisher\'s file');
    const state = await mirror().refresh();
    expect(state.lastError).toMatch(/^feed manifest at .* is not usable: files\[0\]\.path "\.manifest\.json"/);
    expect(applied).toEqual([]);
  });

  it('refuses a manifest listing a file and a folder of one name, which no snapshot can hold', async () => {
    publisher.files.set('a', 'a file').set('a/b', 'a file in a folder a');
    const state = await mirror().refresh();
    expect(state.lastError).toMatch(/^feed manifest at .* is not usable: files\[0\]\.path "a" is also a folder of files\[1\]\.path "a\/b"/);
    expect(applied).toEqual([]);
  });

  it('keeps the last good copy when the plugin refuses the new one, and says why', async () => {
    publisher.files.set('a.txt', 'one');
    const feed = mirror();
    await feed.refresh();
    refuse = true;
    publisher.files.set('a.txt', 'two');
    expect((await feed.refresh()).lastError).toBe('bundle refused by the plugin');
    refuse = false;
    await feed.refresh();
    expect(applied.at(-1)).toEqual({ 'a.txt': 'two' });
  });

  it('waits out an interval longer than one Node timer holds (30 days) instead of asking again at once', async () => {
    publisher.files.set('a.txt', 'one');
    const feed = mirror(30 * 86_400_000);
    await feed.start();
    for (let i = 0; i < 200 && feed.state().lastSuccess === null; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(feed.state().lastSuccess).not.toBeNull();
    // Long enough for a timer that fires after 1 ms to ask dozens of times.
    await new Promise((resolve) => setTimeout(resolve, 300));
    feed.stop();
    expect(publisher.requests.filter((r) => /manifest\.json(\s|$)/.test(r))).toHaveLength(1);
  });

  it('refuses manifests that name paths outside the feed', async () => {
    publisher.manifestOverride = { name: 'notes', generated: '2026-11-01T00:00:00Z', files: [{ path: '../../etc/passwd', sha256: sha('x'), size: 1 }] };
    const state = await mirror().refresh();
    expect(state.lastError).toContain('files[0].path "../../etc/passwd" is not a safe relative path');
    expect(applied).toEqual([]);
  });

  it('applies the last good copy again at start, before asking the publisher', async () => {
    publisher.files.set('a.txt', 'one');
    await mirror().refresh();
    publisher.server.close();
    applied.length = 0;
    const again = mirror();
    await again.start();
    again.stop();
    expect(applied).toEqual([{ 'a.txt': 'one' }]);
  });

  it('reports an unreachable publisher without throwing', async () => {
    publisher.server.close();
    const state = await mirror().refresh();
    expect(state.lastError).toMatch(/could not be fetched/);
    expect(state.lastSuccess).toBeNull();
  });
});

describe('feed paths and manifests', () => {
  it.each(['a', 'a/b.txt', 'x_y-z.1/2'])('accepts %s', (path) => expect(isSafeFeedPath(path)).toBe(true));
  it.each(['', '/etc/passwd', '../x', 'a/../b', 'a/./b', '.', 'a//b', 'a\\b', 'ä'])('refuses %j', (path) => expect(isSafeFeedPath(path)).toBe(false));

  it('names what is wrong in a manifest', () => {
    expect(() => checkManifest({ name: 'x', generated: 'yesterday', files: [] }, 'u')).toThrow('"generated" must be an ISO date');
    expect(() => checkManifest({ name: 'x', generated: '2026-01-01', files: [{ path: 'a', sha256: 'ABC', size: 1 }] }, 'u')).toThrow('sha256 must be 64 lower-case hex');
    expect(() =>
      checkManifest({ name: 'x', generated: '2026-01-01', files: [{ path: 'a', sha256: sha('a'), size: 1 }, { path: 'a', sha256: sha('a'), size: 1 }] }, 'u'),
    ).toThrow('appears twice');
  });
});
