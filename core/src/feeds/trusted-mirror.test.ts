import { createServer, type Server } from 'node:http';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Koa from 'koa';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importFeeds, MirrorRegistry } from './import.js';
import { makeKeysDocument } from './keys.js';
import { MirroredFeed } from './mirror.js';
import { FeedPublisher } from './publisher.js';
import { generateSigningKey, readPublicKeys, readSigningKey, signatureFile, type SigningKey } from './signing.js';
import { trustRoots, type TrustRoots } from './trust.js';
import type { FeedSnapshot } from './types.js';

const DAY = 86_400_000;
const silent = pino({ level: 'silent' });

/** A real publisher behind a loopback server that can, like a proxy on the uplink, answer some paths itself. */
class Upstream {
  readonly files = new Map<string, string>();
  readonly forged = new Map<string, Buffer | string>();
  publisher: FeedPublisher;
  server!: Server;
  base = '';
  now = Date.parse('2026-12-01T00:00:00Z');

  constructor(readonly dir: string) {
    this.publisher = this.makePublisher();
  }

  makePublisher(): FeedPublisher {
    const publisher = new FeedPublisher(join(this.dir, 'published.json'), () => this.now);
    publisher.publish('test', { name: 'notes', files: () => [...this.files].map(([path, text]) => ({ path, data: Buffer.from(text) })) });
    return publisher;
  }

  async listen(): Promise<void> {
    const app = new Koa();
    app.use(async (ctx, next) => {
      const forged = this.forged.get(ctx.path);
      if (forged === undefined) return next();
      ctx.body = forged;
    });
    app.use((ctx, next) => this.publisher.router.routes()(ctx as never, next));
    this.server = createServer(app.callback());
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async get(path: string): Promise<Buffer> {
    return Buffer.from(await (await fetch(this.base + path)).arrayBuffer());
  }
}

describe('a mirror that trusts only signed feeds', () => {
  let dir: string;
  let upstream: Upstream;
  let root: SigningKey;
  let online: SigningKey;
  let roots: TrustRoots;
  const applied: string[] = [];
  const abort = new AbortController();

  const mirror = (now = () => upstream.now, name = 'notes') =>
    new MirroredFeed(
      {
        name,
        url: `${upstream.base}/feeds/v1/notes/`,
        intervalMs: DAY,
        apply: async (snapshot: FeedSnapshot) => {
          applied.push((await Promise.all(snapshot.manifest.files.map((f) => readFile(snapshot.file(f.path), 'utf8')))).join(','));
        },
      },
      join(dir, 'school'),
      silent,
      abort.signal,
      { roots: () => roots, now },
    );

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trusted-feed-'));
    await generateSigningKey(join(dir, 'root.key'), 'root');
    await generateSigningKey(join(dir, 'online.key'), 'online');
    root = await readSigningKey(join(dir, 'root.key'));
    online = await readSigningKey(join(dir, 'online.key'));
    roots = trustRoots(await readPublicKeys(join(dir, 'root.key.pub')));
    await signKeys(1, ['online.key.pub']);
    upstream = new Upstream(dir);
    upstream.publisher.sign({ key: online, lifetimeMs: 7 * DAY, keysFile: join(dir, 'keys.json') });
    upstream.files.set('a.txt', 'one');
    await upstream.listen();
    applied.length = 0;
  });
  afterEach(async () => {
    upstream.server.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function signKeys(version: number, publicFiles: string[], expires = Date.parse('2027-12-01T00:00:00Z')) {
    const keys = (await Promise.all(publicFiles.map((f) => readPublicKeys(join(dir, f))))).flat();
    const body = makeKeysDocument(version, new Date(expires), keys.map((key) => ({ key, expires: new Date(expires) })));
    await writeFile(join(dir, 'keys.json'), body);
    await writeFile(join(dir, 'keys.json.sig'), signatureFile(Buffer.from(body), root));
  }

  it('takes a manifest signed by an online key the root names, and records who signed which version', async () => {
    const state = await mirror().refresh();
    expect(state).toMatchObject({ lastError: null, version: 1, trust: 'signed', signedBy: online.id, expired: false, expires: '2026-12-08T00:00:00.000Z' });
    expect(applied).toEqual(['one']);
  });

  it('renews a signature at half its lifetime with a new version, which the mirror takes without re-applying the data', async () => {
    const feed = mirror();
    await feed.refresh();
    upstream.now += 4 * DAY;
    const state = await feed.refresh();
    expect(state).toMatchObject({ lastError: null, version: 2, expires: '2026-12-12T00:00:00.000Z' });
    expect(applied).toEqual(['one']);
  });

  it('keeps versions across a publisher restart, and the bytes of an unchanged manifest', async () => {
    const before = await upstream.get('/feeds/v1/notes/manifest.json');
    upstream.publisher = upstream.makePublisher();
    upstream.publisher.sign({ key: online, lifetimeMs: 7 * DAY });
    expect(await upstream.get('/feeds/v1/notes/manifest.json')).toEqual(before);
    upstream.files.set('a.txt', 'two');
    expect(JSON.parse((await upstream.get('/feeds/v1/notes/manifest.json')).toString()).version).toBe(2);
  });

  it('answers 412 for the signature of a manifest the publisher no longer serves', async () => {
    const first = await fetch(`${upstream.base}/feeds/v1/notes/manifest.json`);
    upstream.files.set('a.txt', 'two');
    const sig = await fetch(`${upstream.base}/feeds/v1/notes/manifest.json.sig`, { headers: { 'If-Match': first.headers.get('etag')! } });
    expect(sig.status).toBe(412);
  });

  it('refuses a replayed older manifest, keeping the newer copy', async () => {
    const old = { manifest: await upstream.get('/feeds/v1/notes/manifest.json'), sig: await upstream.get('/feeds/v1/notes/manifest.json.sig') };
    const feed = mirror();
    upstream.files.set('a.txt', 'two');
    await feed.refresh();
    upstream.forged.set('/feeds/v1/notes/manifest.json', old.manifest).set('/feeds/v1/notes/manifest.json.sig', old.sig);
    const state = await feed.refresh();
    expect(state).toMatchObject({ lastErrorCode: 'SERVER_ERR_FEED_ROLLBACK', version: 2 });
    expect(state.lastError).toContain('is version 1, older than version 2 already applied');
    expect(applied).toEqual(['two']);
  });

  it('refuses an expired manifest and reports a copy whose signature ran out as expired', async () => {
    const feed = mirror();
    await feed.refresh();
    const frozen = { manifest: await upstream.get('/feeds/v1/notes/manifest.json'), sig: await upstream.get('/feeds/v1/notes/manifest.json.sig') };
    upstream.forged.set('/feeds/v1/notes/manifest.json', frozen.manifest).set('/feeds/v1/notes/manifest.json.sig', frozen.sig);
    upstream.now += 8 * DAY;
    const state = await feed.refresh();
    expect(state).toMatchObject({ lastErrorCode: 'SERVER_ERR_FEED_EXPIRED', expired: true, version: 1 });
    expect(applied).toEqual(['one']);
  });

  it('refuses unsigned, tampered and foreign-key manifests, and a file that is not the one signed', async () => {
    const manifest = (await upstream.get('/feeds/v1/notes/manifest.json')).toString();
    const sig = await upstream.get('/feeds/v1/notes/manifest.json.sig');
    upstream.forged.set('/feeds/v1/notes/manifest.json', manifest.replace('"version":1', '"version":9')).set('/feeds/v1/notes/manifest.json.sig', sig);
    expect((await mirror().refresh()).lastErrorCode).toBe('SERVER_ERR_FEED_SIGNATURE');

    await generateSigningKey(join(dir, 'stranger.key'), '');
    const stranger = await readSigningKey(join(dir, 'stranger.key'));
    upstream.forged.set('/feeds/v1/notes/manifest.json', manifest).set('/feeds/v1/notes/manifest.json.sig', signatureFile(Buffer.from(manifest), stranger));
    expect((await mirror().refresh()).lastError).toMatch(/not signed by a trusted key: signed by [0-9a-f]{16}, none of them a trusted key/);

    upstream.forged.clear();
    upstream.publisher.sign(null);
    upstream.files.set('a.txt', 'unsigned');
    expect((await mirror().refresh()).lastErrorCode).toBe('SERVER_ERR_FEED_UNSIGNED');

    upstream.publisher.sign({ key: online, lifetimeMs: 7 * DAY, keysFile: join(dir, 'keys.json') });
    upstream.forged.set('/feeds/v1/notes/a.txt', 'forged');
    expect((await mirror().refresh()).lastErrorCode).toBe('SERVER_ERR_FEED_DIGEST');
    expect(applied).toEqual([]);
  });

  it('refuses the manifest of another feed, even signed', async () => {
    const state = await mirror(undefined, 'other').refresh();
    expect(state.lastError).toContain('it is the manifest of feed "notes", not "other"');
  });

  it('follows a rotation of the online key through keys.json, and drops the old key', async () => {
    const feed = mirror();
    await feed.refresh();
    await generateSigningKey(join(dir, 'online2.key'), 'online 2027');
    const online2 = await readSigningKey(join(dir, 'online2.key'));
    await signKeys(2, ['online2.key.pub']);
    upstream.publisher.sign({ key: online2, lifetimeMs: 7 * DAY, keysFile: join(dir, 'keys.json') });
    let state = await feed.refresh();
    expect(state).toMatchObject({ lastError: null, signedBy: online2.id, version: 2 });

    upstream.publisher.sign({ key: online, lifetimeMs: 7 * DAY, keysFile: join(dir, 'keys.json') });
    upstream.files.set('a.txt', 'signed by the retired key');
    state = await feed.refresh();
    expect(state.lastErrorCode).toBe('SERVER_ERR_FEED_SIGNATURE');

    // A keys.json older than the one held is a rollback, even signed by the root.
    await signKeys(1, ['online.key.pub']);
    expect((await feed.refresh()).lastErrorCode).toBe('SERVER_ERR_FEED_ROLLBACK');
    expect(applied).toEqual(['one']);
  });

  it('imports from a disk only when every mirrored feed on it holds', async () => {
    const registry = new MirrorRegistry();
    const feed = mirror();
    registry.add(feed);
    const disk = join(dir, 'disk', 'sugar-server-feeds');
    await mkdir(join(disk, 'notes'), { recursive: true });
    for (const name of ['keys.json', 'keys.json.sig']) await writeFile(join(disk, name), await readFile(join(dir, name)));
    upstream.files.set('a.txt', 'from the disk');
    await writeFile(join(disk, 'notes', 'manifest.json'), await upstream.get('/feeds/v1/notes/manifest.json'));
    await writeFile(join(disk, 'notes', 'manifest.json.sig'), await upstream.get('/feeds/v1/notes/manifest.json.sig'));
    await writeFile(join(disk, 'notes', 'a.txt'), 'from the disk, changed');

    const refused = await importFeeds(join(dir, 'disk'), registry, silent);
    expect(refused.ok).toBe(false);
    expect(refused.feeds).toEqual([expect.objectContaining({ name: 'notes', outcome: 'refused', error: expect.objectContaining({ code: 'SERVER_ERR_FEED_DIGEST' }) })]);
    expect(applied).toEqual([]);

    await writeFile(join(disk, 'notes', 'a.txt'), 'from the disk');
    await mkdir(join(disk, 'elsewhere'));
    await writeFile(join(disk, 'elsewhere', 'manifest.json'), '{}');
    const report = await importFeeds(join(dir, 'disk'), registry, silent);
    expect(report.ok).toBe(true);
    expect(report.feeds).toEqual([
      { name: 'elsewhere', outcome: 'not mirrored here' },
      { name: 'notes', outcome: 'applied', fromVersion: null, toVersion: 1, added: 1, changed: 0, removed: 0 },
    ]);
    expect(applied).toEqual(['from the disk']);
    expect(feed.state()).toMatchObject({ version: 1, signedBy: online.id, lastError: null });
  });
});
