/**
 * Feeds: pure data (lease bundles, blacklists, activity bundles) mirrored from
 * another sugar-server, the deployment's "Mothership", and published so that this
 * server can be the Mothership for others.
 *
 * A feed is `manifest.json` (`{name, generated, files: [{path, sha256, size}]}`)
 * plus its files, under one URL. The mirror asks for the manifest with a
 * conditional GET, fetches only files whose digest changed, checks size and
 * sha256 while streaming, and hands the plugin a complete snapshot. The `current`
 * link moves to a snapshot only after the plugin applied it, so a failed download,
 * a wrong digest or a refused bundle always leaves the last good copy in place.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, mkdir, readFile, readdir, readlink, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { Router } from '@koa/router';
import type { Context } from 'koa';
import { errorType, ServerErrors } from './errors.js';
import type { Logger } from './log.js';
import { syncDir } from './storage/durable.js';
import { setLongTimeout, type LongTimer } from './timeout.js';
import type {
  FeedFileEntry,
  FeedManifest,
  FeedMirror,
  FeedSnapshot,
  FeedState,
  MirrorSpec,
  PublishedFile,
  PublishSpec,
} from './plugins/definition.js';

export const FeedErrors = {
  BAD_MANIFEST: errorType('SERVER_ERR_FEED_MANIFEST', 502, (url: string, why: string) => `feed manifest at ${url} is not usable: ${why}`),
  DOWNLOAD: errorType('SERVER_ERR_FEED_DOWNLOAD', 502, (url: string, why: string) => `feed file ${url} could not be fetched: ${why}`),
  DIGEST: errorType('SERVER_ERR_FEED_DIGEST', 502, (url: string, why: string) => `feed file ${url} does not match its manifest: ${why}`),
};

/** Relative, no `.`/`..` segments, only characters that mean the same on every file system. */
const SAFE_PATH = /^(?!.*(?:^|\/)\.{1,2}(?:\/|$))[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*$/;
const SHA256 = /^[0-9a-f]{64}$/;
const MAX_FILES = 100_000;
/** Where a snapshot keeps the manifest it was made from, beside the feed's files. */
const SNAPSHOT_MANIFEST = '.manifest.json';
const REQUEST_TIMEOUT_MS = 60_000;

export function isSafeFeedPath(path: string): boolean {
  return path.length <= 512 && SAFE_PATH.test(path);
}

/** Check a manifest received from the network; every field is untrusted. */
export function checkManifest(value: unknown, url: string): FeedManifest {
  const bad = (why: string) => FeedErrors.BAD_MANIFEST(url, why);
  if (typeof value !== 'object' || value === null) throw bad('not a JSON object');
  const { name, generated, files } = value as Record<string, unknown>;
  if (typeof name !== 'string' || !name) throw bad('"name" must be a non-empty string');
  if (typeof generated !== 'string' || Number.isNaN(Date.parse(generated))) throw bad('"generated" must be an ISO date');
  if (!Array.isArray(files) || files.length > MAX_FILES) throw bad(`"files" must be a list of at most ${MAX_FILES} entries`);
  const seen = new Set<string>();
  const checked: FeedFileEntry[] = files.map((file: unknown, i) => {
    const { path, sha256, size } = (file ?? {}) as Record<string, unknown>;
    if (typeof path !== 'string' || !isSafeFeedPath(path)) throw bad(`files[${i}].path ${JSON.stringify(path)} is not a safe relative path`);
    if (seen.has(path)) throw bad(`files[${i}].path "${path}" appears twice`);
    seen.add(path);
    if (typeof sha256 !== 'string' || !SHA256.test(sha256)) throw bad(`files[${i}].sha256 must be 64 lower-case hex digits`);
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw bad(`files[${i}].size must be a whole number of bytes`);
    return { path, sha256, size };
  });
  // Every file must fit in one snapshot folder beside the mirror's own record of the manifest.
  const folders = new Map<string, number>();
  checked.forEach(({ path }, i) => {
    for (let slash = path.indexOf('/'); slash >= 0; slash = path.indexOf('/', slash + 1)) {
      if (!folders.has(path.slice(0, slash))) folders.set(path.slice(0, slash), i);
    }
  });
  checked.forEach(({ path }, i) => {
    if (path === SNAPSHOT_MANIFEST) throw bad(`files[${i}].path "${path}" is the name the mirror keeps the manifest under`);
    const inside = folders.get(path);
    if (inside !== undefined) throw bad(`files[${i}].path "${path}" is also a folder of files[${inside}].path "${checked[inside]!.path}"`);
  });
  return { name, generated, files: checked };
}

class DiskSnapshot implements FeedSnapshot {
  constructor(
    readonly dir: string,
    readonly manifest: FeedManifest,
  ) {}

  file(path: string): string {
    if (!this.manifest.files.some((f) => f.path === path)) throw ServerErrors.NOT_FOUND(`feed file "${path}"`);
    return join(this.dir, path);
  }
}

interface Validators {
  etag: string | null;
  lastModified: string | null;
}

/** One mirrored feed, kept under `<plugin data>/feeds/<name>/`. */
export class MirroredFeed implements FeedMirror {
  private readonly root: string;
  private readonly base: URL;
  private timer: LongTimer | undefined;
  private running: Promise<FeedState> | undefined;
  private current: DiskSnapshot | undefined;
  private validators: Validators = { etag: null, lastModified: null };
  private status: { lastAttempt: number | null; lastSuccess: number | null; lastChange: number | null; lastError: string | null } = {
    lastAttempt: null,
    lastSuccess: null,
    lastChange: null,
    lastError: null,
  };

  constructor(
    private readonly spec: MirrorSpec,
    dataDir: string,
    private readonly log: Logger,
    private readonly signal: AbortSignal,
  ) {
    if (!isSafeFeedPath(spec.name) || spec.name.includes('/')) throw ServerErrors.BAD_REQUEST(`feed name "${spec.name}" is not a plain name`);
    this.root = join(dataDir, 'feeds', spec.name);
    this.base = new URL(spec.url.endsWith('/') ? spec.url : `${spec.url}/`);
  }

  /** Apply the last good copy (if any), then look for news now and every interval. */
  async start(): Promise<void> {
    await mkdir(join(this.root, 'snapshots'), { recursive: true });
    const last = await this.loadCurrent();
    if (last) {
      await this.spec.apply(last);
      this.current = last;
    }
    this.schedule(0);
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  state(): FeedState {
    const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
    return {
      name: this.spec.name,
      url: this.base.href,
      lastAttempt: iso(this.status.lastAttempt),
      lastSuccess: iso(this.status.lastSuccess),
      lastChange: iso(this.status.lastChange),
      lastError: this.status.lastError,
      generated: this.current?.manifest.generated ?? null,
    };
  }

  refresh(): Promise<FeedState> {
    this.running ??= this.refreshNow().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private schedule(delayMs: number): void {
    if (this.signal.aborted) return;
    this.timer = setLongTimeout(() => {
      void this.refresh().finally(() => this.schedule(this.spec.intervalMs));
    }, delayMs);
  }

  private async refreshNow(): Promise<FeedState> {
    this.status.lastAttempt = Date.now();
    try {
      const changed = await this.fetchNewVersion();
      this.status.lastSuccess = Date.now();
      this.status.lastError = null;
      if (changed) {
        this.status.lastChange = Date.now();
        this.log.info({ feed: this.spec.name, generated: changed.manifest.generated, files: changed.manifest.files.length }, 'feed updated');
      }
    } catch (err) {
      if (this.signal.aborted) return this.state();
      this.status.lastError = (err as Error).message;
      this.log.warn({ feed: this.spec.name, err }, 'feed not updated; keeping the last good copy');
    }
    return this.state();
  }

  /** Returns the new snapshot once applied, or undefined when nothing changed. */
  private async fetchNewVersion(): Promise<DiskSnapshot | undefined> {
    const manifestUrl = new URL('manifest.json', this.base);
    const headers: Record<string, string> = {};
    if (this.current && this.validators.etag) headers['If-None-Match'] = this.validators.etag;
    if (this.current && this.validators.lastModified) headers['If-Modified-Since'] = this.validators.lastModified;
    const response = await this.get(manifestUrl, headers);
    if (response.status === 304) return undefined;
    if (!response.ok) throw FeedErrors.BAD_MANIFEST(manifestUrl.href, `HTTP ${response.status}`);
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw FeedErrors.BAD_MANIFEST(manifestUrl.href, 'not JSON');
    }
    const manifest = checkManifest(parsed, manifestUrl.href);
    const validators = { etag: response.headers.get('etag'), lastModified: response.headers.get('last-modified') };
    if (this.current && sameFiles(this.current.manifest, manifest)) {
      this.validators = validators;
      return undefined;
    }

    const id = `${Date.now()}-${createHash('sha256').update(text).digest('hex').slice(0, 12)}`;
    const staging = join(this.root, 'snapshots', `.staging-${id}`);
    await mkdir(staging, { recursive: true });
    try {
      for (const file of manifest.files) await this.fetchFile(file, staging);
      await writeFile(join(staging, SNAPSHOT_MANIFEST), JSON.stringify(manifest));
      const dir = join(this.root, 'snapshots', id);
      await rename(staging, dir);
      const snapshot = new DiskSnapshot(dir, manifest);
      await this.spec.apply(snapshot);
      await this.pointCurrentAt(id);
      await writeFile(join(this.root, 'validators.json'), JSON.stringify(validators));
      const previous = this.current;
      this.current = snapshot;
      this.validators = validators;
      await this.prune(id, previous ? previous.dir : undefined);
      return snapshot;
    } catch (err) {
      await rm(staging, { recursive: true, force: true });
      throw err;
    }
  }

  /** Reuse an unchanged file from the current snapshot; otherwise stream it, checking size and digest. */
  private async fetchFile(file: FeedFileEntry, staging: string): Promise<void> {
    const target = join(staging, file.path);
    await mkdir(resolve(target, '..'), { recursive: true });
    const held = this.current?.manifest.files.find((f) => f.path === file.path && f.sha256 === file.sha256);
    if (held) {
      await link(join(this.current!.dir, file.path), target);
      return;
    }
    const url = new URL(file.path.split('/').map(encodeURIComponent).join('/'), this.base);
    const response = await this.get(url, {});
    if (!response.ok || !response.body) throw FeedErrors.DOWNLOAD(url.href, `HTTP ${response.status}`);
    const hash = createHash('sha256');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        if (size > file.size) return done(FeedErrors.DIGEST(url.href, `larger than the ${file.size} bytes announced`));
        hash.update(chunk);
        done(null, chunk);
      },
    });
    await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), meter, createWriteStream(target, { mode: 0o644 }));
    await syncDir(target);
    if (size !== file.size) throw FeedErrors.DIGEST(url.href, `${size} bytes, the manifest says ${file.size}`);
    const digest = hash.digest('hex');
    if (digest !== file.sha256) throw FeedErrors.DIGEST(url.href, `sha256 ${digest}, the manifest says ${file.sha256}`);
  }

  private async get(url: URL, headers: Record<string, string>): Promise<Response> {
    try {
      return await fetch(url, { headers, signal: AbortSignal.any([this.signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]) });
    } catch (err) {
      throw FeedErrors.DOWNLOAD(url.href, (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message);
    }
  }

  /** Swap the `current` link in one rename, so readers see the old or the new snapshot. */
  private async pointCurrentAt(id: string): Promise<void> {
    const next = join(this.root, `.current-${id}`);
    await symlink(join('snapshots', id), next);
    await rename(next, join(this.root, 'current'));
    await syncDir(this.root);
  }

  private async loadCurrent(): Promise<DiskSnapshot | undefined> {
    try {
      const target = await readlink(join(this.root, 'current'));
      const dir = join(this.root, target);
      const manifest = checkManifest(JSON.parse(await readFile(join(dir, SNAPSHOT_MANIFEST), 'utf8')), dir);
      this.validators = JSON.parse(await readFile(join(this.root, 'validators.json'), 'utf8').catch(() => '{}')) as Validators;
      return new DiskSnapshot(dir, manifest);
    } catch {
      return undefined;
    }
  }

  /** Keep the current snapshot and the one before it (to look at after a bad update). */
  private async prune(currentId: string, previousDir: string | undefined): Promise<void> {
    const keep = new Set([currentId, previousDir ? previousDir.slice(previousDir.lastIndexOf('/') + 1) : '']);
    for (const name of await readdir(join(this.root, 'snapshots'))) {
      if (!keep.has(name)) await rm(join(this.root, 'snapshots', name), { recursive: true, force: true });
    }
  }
}

function sameFiles(a: FeedManifest, b: FeedManifest): boolean {
  if (a.files.length !== b.files.length) return false;
  const digests = new Map(a.files.map((f) => [f.path, f.sha256]));
  return b.files.every((f) => digests.get(f.path) === f.sha256);
}

interface Published {
  owner: string;
  spec: PublishSpec;
  /** The last manifest built, with the digests it was built from. */
  cache?: { key: string; manifest: FeedManifest; body: string; etag: string; files: Map<string, PublishedFile & FeedFileEntry> };
}

/** Feeds this server publishes at `/feeds/v1/<name>/`. */
export class FeedPublisher {
  readonly router: Router = new Router();
  private readonly feeds = new Map<string, Published>();
  /** Digests of published files on disk, by path, size and mtime. */
  private readonly fileDigests = new Map<string, { key: string; sha256: string }>();

  constructor() {
    this.router.get('/feeds/v1/:name/manifest.json', (ctx) => this.serveManifest(ctx));
    this.router.get('/feeds/v1/:name/*path', (ctx) => this.serveFile(ctx));
  }

  publish(owner: string, spec: PublishSpec): void {
    const current = this.feeds.get(spec.name);
    if (current && current.owner !== owner) throw ServerErrors.PLUGIN_INVALID(owner, `feed "${spec.name}" is already published by ${current.owner}`);
    this.feeds.set(spec.name, { owner, spec });
  }

  withdraw(owner: string): void {
    for (const [name, feed] of this.feeds) if (feed.owner === owner) this.feeds.delete(name);
  }

  private async build(feed: Published) {
    const files = await feed.spec.files();
    const entries = new Map<string, PublishedFile & FeedFileEntry>();
    for (const file of files) {
      if (!isSafeFeedPath(file.path)) throw ServerErrors.INTERNAL();
      const { sha256, size } = 'data' in file ? { sha256: createHash('sha256').update(file.data).digest('hex'), size: file.data.length } : await this.digestOf(file.file);
      entries.set(file.path, { ...file, sha256, size });
    }
    const key = [...entries.values()].map((e) => `${e.path}:${e.sha256}`).sort().join('\n');
    if (feed.cache?.key !== key) {
      const manifest: FeedManifest = {
        name: feed.spec.name,
        generated: new Date().toISOString(),
        files: [...entries.values()].map(({ path, sha256, size }) => ({ path, sha256, size })).sort((a, b) => a.path.localeCompare(b.path)),
      };
      const body = JSON.stringify(manifest);
      feed.cache = { key, manifest, body, etag: `"${createHash('sha256').update(key).digest('hex').slice(0, 32)}"`, files: entries };
    } else {
      feed.cache.files = entries;
    }
    return feed.cache;
  }

  private async serveManifest(ctx: Context): Promise<void> {
    const feed = this.feeds.get(ctx.params.name);
    if (!feed) throw ServerErrors.NOT_FOUND(`feed "${ctx.params.name}"`);
    const built = await this.build(feed);
    ctx.set('ETag', built.etag);
    ctx.set('Cache-Control', 'no-cache');
    if (ctx.get('If-None-Match') === built.etag) {
      ctx.status = 304;
      return;
    }
    ctx.type = 'application/json';
    ctx.body = built.body;
  }

  private async serveFile(ctx: Context): Promise<void> {
    const feed = this.feeds.get(ctx.params.name);
    const path = Array.isArray(ctx.params.path) ? ctx.params.path.join('/') : String(ctx.params.path ?? '');
    if (!feed) throw ServerErrors.NOT_FOUND(`feed "${ctx.params.name}"`);
    // Only paths the feed lists are served; nothing from the request reaches the file system.
    const file = (await this.build(feed)).files.get(path);
    if (!file) throw ServerErrors.NOT_FOUND(`feed file "${path}"`);
    ctx.set('ETag', `"${file.sha256}"`);
    ctx.type = 'application/octet-stream';
    ctx.length = file.size;
    ctx.body = 'data' in file ? file.data : createReadStream(file.file);
  }

  private async digestOf(path: string): Promise<{ sha256: string; size: number }> {
    const info = await stat(path);
    const key = `${info.size}:${info.mtimeMs}`;
    const known = this.fileDigests.get(path);
    if (known?.key === key) return { sha256: known.sha256, size: info.size };
    const hash = createHash('sha256');
    await pipeline(createReadStream(path), hash);
    const sha256 = hash.digest('hex');
    this.fileDigests.set(path, { key, sha256 });
    return { sha256, size: info.size };
  }
}
