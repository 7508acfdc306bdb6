/**
 * Feeds this server publishes at `/feeds/v1/<name>/`, so that it can be the
 * Mothership (or a district relay) of other servers.
 *
 * Each manifest gets a `version` that only grows, kept on disk so a restart
 * never reuses one. With a signing key, each is signed (`manifest.json.sig`,
 * over its exact bytes), carries `expires`, and is signed again with a new
 * version once half its lifetime has passed, even when nothing changed, so a
 * mirror can tell a current publisher from a frozen one.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Router } from '@koa/router';
import type { Context } from 'koa';
import { ServerErrors } from '../errors.js';
import { writeFileAtomically } from '../storage/durable.js';
import { KEYS_FILE } from './keys.js';
import { isFeedName, isReservedFeedPath, isSafeFeedPath, MANIFEST_FILE, SIGNATURE_SUFFIX } from './manifest.js';
import { signatureFile, type SigningKey } from './signing.js';
import type { FeedFileEntry, FeedManifest, PublishedFile, PublishSpec } from './types.js';

export interface PublisherSigning {
  readonly key: SigningKey;
  readonly lifetimeMs: number;
  /** The root-signed `keys.json` to serve beside the feeds (its `.sig` beside it), if any. */
  readonly keysFile?: string;
}

/** What is kept per feed so versions survive restarts and an unchanged feed keeps its bytes. */
interface VersionRecord {
  version: number;
  /** sha256 of the sorted `path:sha256` list the version was made from. */
  content: string;
  signer: string | null;
  generated: string;
  expires: string | null;
}

interface Built {
  readonly body: Buffer;
  readonly signature: string | null;
  readonly etag: string;
  readonly files: Map<string, PublishedFile & FeedFileEntry>;
}

interface Published {
  owner: string;
  spec: PublishSpec;
  built?: Built & { record: VersionRecord };
  /** Builds of one feed run one after another, so two requests never both take a new version. */
  turn: Promise<unknown>;
}

export class FeedPublisher {
  readonly router: Router = new Router();
  private readonly feeds = new Map<string, Published>();
  /** Digests of published files on disk, by path, size and mtime. */
  private readonly fileDigests = new Map<string, { key: string; sha256: string }>();
  private records: Record<string, VersionRecord> | undefined;
  private signing: PublisherSigning | null = null;

  /** `stateFile` keeps each feed's version (`<data>/core/feeds-published.json`). */
  constructor(
    private readonly stateFile: string,
    private readonly now: () => number = Date.now,
  ) {
    this.router.get(`/feeds/v1/index.json`, (ctx) => this.serveIndex(ctx));
    this.router.get(`/feeds/v1/${KEYS_FILE}`, (ctx) => this.serveKeys(ctx, ''));
    this.router.get(`/feeds/v1/${KEYS_FILE}${SIGNATURE_SUFFIX}`, (ctx) => this.serveKeys(ctx, SIGNATURE_SUFFIX));
    this.router.get(`/feeds/v1/:name/${MANIFEST_FILE}`, (ctx) => this.serveManifest(ctx));
    this.router.get(`/feeds/v1/:name/${MANIFEST_FILE}${SIGNATURE_SUFFIX}`, (ctx) => this.serveSignature(ctx));
    this.router.get('/feeds/v1/:name/*path', (ctx) => this.serveFile(ctx));
  }

  /** Sign from now on with `signing` (null: publish unsigned). A new key takes effect at the next request. */
  sign(signing: PublisherSigning | null): void {
    this.signing = signing;
  }

  get signed(): boolean {
    return this.signing !== null;
  }

  publish(owner: string, spec: PublishSpec): void {
    if (!isFeedName(spec.name)) throw ServerErrors.PLUGIN_INVALID(owner, `feed name "${spec.name}" is not a plain name`);
    const current = this.feeds.get(spec.name);
    if (current && current.owner !== owner) throw ServerErrors.PLUGIN_INVALID(owner, `feed "${spec.name}" is already published by ${current.owner}`);
    this.feeds.set(spec.name, { owner, spec, turn: Promise.resolve() });
  }

  withdraw(owner: string): void {
    for (const [name, feed] of this.feeds) if (feed.owner === owner) this.feeds.delete(name);
  }

  names(): string[] {
    return [...this.feeds.keys()].sort();
  }

  /**
   * The version of each feed published now, as last served (a change nobody
   * has asked for yet has no version before its first request).
   */
  async versions(): Promise<{ name: string; version: number; generated: string }[]> {
    const records = (this.records ??= await this.loadRecords());
    return this.names().flatMap((name) => {
      const record = records[name];
      return record ? [{ name, version: record.version, generated: record.generated }] : [];
    });
  }

  /** The feed as served now: the manifest's bytes, its signature and its files. */
  current(name: string): Promise<Built> {
    const feed = this.feeds.get(name);
    if (!feed) return Promise.reject(ServerErrors.NOT_FOUND(`feed "${name}"`));
    const next = feed.turn.then(() => this.build(name, feed));
    feed.turn = next.catch(() => undefined);
    return next;
  }

  private async build(name: string, feed: Published): Promise<Built> {
    const entries = new Map<string, PublishedFile & FeedFileEntry>();
    for (const file of await feed.spec.files()) {
      if (!isSafeFeedPath(file.path) || isReservedFeedPath(file.path)) throw ServerErrors.INTERNAL();
      const { sha256, size } = 'data' in file ? { sha256: createHash('sha256').update(file.data).digest('hex'), size: file.data.length } : await this.digestOf(file.file);
      entries.set(file.path, { ...file, sha256, size });
    }
    const list = [...entries.values()].map(({ path, sha256, size }) => ({ path, sha256, size })).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const content = createHash('sha256').update(list.map((e) => `${e.path}:${e.sha256}`).join('\n')).digest('hex');
    const record = await this.recordFor(name, content);
    if (feed.built?.record === record) {
      feed.built = { ...feed.built, files: entries };
      return feed.built;
    }

    const manifest: FeedManifest = {
      name,
      generated: record.generated,
      version: record.version,
      ...(record.expires ? { expires: record.expires } : {}),
      files: list,
    };
    const body = Buffer.from(JSON.stringify(manifest));
    const signature = this.signing && record.signer === this.signing.key.id ? signatureFile(body, this.signing.key) : null;
    const built = { body, signature, etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 32)}"`, files: entries };
    feed.built = { ...built, record };
    return built;
  }

  /** The version record for this content and key: the held one while it still fits, else the next version, on disk first. */
  private async recordFor(name: string, content: string): Promise<VersionRecord> {
    const records = (this.records ??= await this.loadRecords());
    const held = records[name];
    const signer = this.signing?.key.id ?? null;
    const now = this.now();
    const renewDue = held?.expires != null && this.signing !== null && now >= (Date.parse(held.generated) + Date.parse(held.expires)) / 2;
    if (held && held.content === content && held.signer === signer && !renewDue) return held;
    const record: VersionRecord = {
      version: (held?.version ?? 0) + 1,
      content,
      signer,
      generated: new Date(now).toISOString(),
      expires: this.signing ? new Date(now + this.signing.lifetimeMs).toISOString() : null,
    };
    const next = { ...records, [name]: record };
    await mkdir(dirname(this.stateFile), { recursive: true });
    await writeFileAtomically(this.stateFile, [JSON.stringify(next)], 0o644);
    this.records = next;
    return record;
  }

  private async loadRecords(): Promise<Record<string, VersionRecord>> {
    try {
      return JSON.parse(await readFile(this.stateFile, 'utf8')) as Record<string, VersionRecord>;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw err;
    }
  }

  private serveIndex(ctx: Context): void {
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = { feeds: this.names(), signed: this.signed };
  }

  private async serveKeys(ctx: Context, suffix: string): Promise<void> {
    const file = this.signing?.keysFile;
    if (!file) throw ServerErrors.NOT_FOUND(KEYS_FILE + suffix);
    ctx.set('Cache-Control', 'no-cache');
    ctx.type = 'application/json';
    ctx.body = await readFile(file + suffix).catch(() => {
      throw ServerErrors.NOT_FOUND(KEYS_FILE + suffix);
    });
  }

  private async serveManifest(ctx: Context): Promise<void> {
    const built = await this.current(ctx.params.name!);
    ctx.set('ETag', built.etag);
    ctx.set('Cache-Control', 'no-cache');
    if (ctx.get('If-None-Match') === built.etag) {
      ctx.status = 304;
      return;
    }
    ctx.type = 'application/json';
    ctx.body = built.body;
  }

  /** The signature of the manifest served now; with `If-Match`, only if that manifest is still the one served. */
  private async serveSignature(ctx: Context): Promise<void> {
    const built = await this.current(ctx.params.name!);
    const wanted = ctx.get('If-Match');
    if (wanted && wanted !== built.etag) {
      ctx.status = 412;
      return;
    }
    if (!built.signature) throw ServerErrors.NOT_FOUND(`signature of feed "${ctx.params.name}" (this server publishes unsigned)`);
    ctx.set('ETag', built.etag);
    ctx.set('Cache-Control', 'no-cache');
    ctx.type = 'application/json';
    ctx.body = built.signature;
  }

  /**
   * A file the feed lists. A mirror asks with `If-Match: "<sha256>"`, the digest
   * its manifest lists: answered from the last build while the file is still
   * that one (so a feed of 100,000 files is not built again for each), 412 when
   * the feed changed since. Without it, the feed as it is now.
   */
  private async serveFile(ctx: Context): Promise<void> {
    const name = ctx.params.name!;
    const path = Array.isArray(ctx.params.path) ? ctx.params.path.join('/') : String(ctx.params.path ?? '');
    const wanted = ctx.get('If-Match');
    // Only paths the feed lists are served; nothing from the request reaches the file system.
    const file = (wanted ? await this.builtFile(name, path, wanted) : undefined) ?? (await this.current(name)).files.get(path);
    if (!file) throw ServerErrors.NOT_FOUND(`feed file "${path}"`);
    if (wanted && wanted !== `"${file.sha256}"`) {
      ctx.status = 412;
      return;
    }
    ctx.set('ETag', `"${file.sha256}"`);
    ctx.type = 'application/octet-stream';
    ctx.length = file.size;
    ctx.body = 'data' in file ? file.data : createReadStream(file.file);
  }

  /** The file of the last build when its ETag is `etag` and, on disk, it has not changed since. */
  private async builtFile(name: string, path: string, etag: string): Promise<(PublishedFile & FeedFileEntry) | undefined> {
    const file = this.feeds.get(name)?.built?.files.get(path);
    if (!file || etag !== `"${file.sha256}"`) return undefined;
    if ('file' in file) {
      const now = await this.digestOf(file.file).catch(() => undefined);
      if (now?.sha256 !== file.sha256 || now.size !== file.size) return undefined;
    }
    return file;
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
