/**
 * Where a mirror reads a feed from: its publisher over HTTP, or a folder laid
 * out the same way (an export disk). Both hand over raw bytes; checking them is
 * the mirror's job, so the two transports are held to the same checks.
 *
 *   <root>/keys.json, keys.json.sig          (root-signed online keys)
 *   <root>/<feed>/manifest.json, manifest.json.sig, <files…>
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { asFeedError, FeedErrors, upstreamBusy } from './errors.js';
import { KEYS_FILE } from './keys.js';
import { MANIFEST_FILE, SIGNATURE_SUFFIX } from './manifest.js';
import type { FeedFileEntry } from './types.js';

export interface Validators {
  etag: string | null;
  lastModified: string | null;
}

export interface SignedBytes {
  /** Where the bytes were read (URL or file), for messages. */
  readonly where: string;
  readonly bytes: Buffer;
  /** The detached signature file beside it, or null when there is none. */
  readonly signature: Buffer | null;
}

export interface FetchedManifest extends SignedBytes {
  readonly validators: Validators;
}

export interface FeedSource {
  /** The feed's URL or folder, for messages. */
  readonly where: string;
  /** The manifest and its signature, or `unchanged` when the conditional request says so. */
  manifest(since?: Validators): Promise<FetchedManifest | 'unchanged'>;
  /** `keys.json` of the feeds' root with its signature, or null when there is none. */
  keys(): Promise<SignedBytes | null>;
  /** Where a file of the feed is, for messages. */
  locate(file: FeedFileEntry): string;
  /** A file's bytes as the source has them; the mirror checks size and digest. */
  open(file: FeedFileEntry): Promise<Readable>;
}

const REQUEST_TIMEOUT_MS = 60_000;
/** Manifests, signatures and keys are small; a larger answer is refused before it fills memory. */
const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;

/** A publisher's `/feeds/v1/<name>/` over HTTP(S). */
export class HttpFeedSource implements FeedSource {
  private readonly base: URL;

  constructor(
    url: string,
    private readonly signal: AbortSignal,
  ) {
    this.base = new URL(url.endsWith('/') ? url : `${url}/`);
  }

  get where(): string {
    return this.base.href;
  }

  async manifest(since?: Validators): Promise<FetchedManifest | 'unchanged'> {
    // The signature is asked for "if the manifest is still the one just read"; when the
    // publisher re-signed in between, the pair is read again once.
    for (let attempt = 0; ; attempt++) {
      const url = new URL(MANIFEST_FILE, this.base);
      const headers: Record<string, string> = {};
      if (since?.etag) headers['If-None-Match'] = since.etag;
      if (since?.lastModified) headers['If-Modified-Since'] = since.lastModified;
      const response = await this.get(url, headers);
      if (response.status === 304) return 'unchanged';
      if (!response.ok) throw FeedErrors.BAD_MANIFEST(url.href, `HTTP ${response.status}`);
      const bytes = await this.small(response, url);
      const validators = { etag: response.headers.get('etag'), lastModified: response.headers.get('last-modified') };
      const sigUrl = new URL(MANIFEST_FILE + SIGNATURE_SUFFIX, this.base);
      const sig = await this.get(sigUrl, validators.etag ? { 'If-Match': validators.etag } : {});
      if (sig.status === 412 && attempt === 0) continue;
      if (sig.status === 404) return { where: url.href, bytes, signature: null, validators };
      if (!sig.ok) throw FeedErrors.BAD_MANIFEST(sigUrl.href, `HTTP ${sig.status}`);
      return { where: url.href, bytes, signature: await this.small(sig, sigUrl), validators };
    }
  }

  async keys(): Promise<SignedBytes | null> {
    const url = new URL(`../${KEYS_FILE}`, this.base);
    const response = await this.get(url, {});
    if (response.status === 404) return null;
    if (!response.ok) throw FeedErrors.KEYS(url.href, `HTTP ${response.status}`);
    const bytes = await this.small(response, url);
    const sigUrl = new URL(`../${KEYS_FILE}${SIGNATURE_SUFFIX}`, this.base);
    const sig = await this.get(sigUrl, {});
    if (sig.status === 404) return { where: url.href, bytes, signature: null };
    if (!sig.ok) throw FeedErrors.KEYS(sigUrl.href, `HTTP ${sig.status}`);
    return { where: url.href, bytes, signature: await this.small(sig, sigUrl) };
  }

  locate(file: FeedFileEntry): string {
    return this.fileUrl(file).href;
  }

  async open(file: FeedFileEntry): Promise<Readable> {
    const url = this.fileUrl(file);
    // The file the manifest lists, by its digest: the publisher answers it without rebuilding the feed, or 412.
    const response = await this.get(url, { 'If-Match': `"${file.sha256}"` });
    if (response.status === 412) throw FeedErrors.DOWNLOAD(url.href, 'changed at the publisher since its manifest was read; the next check takes the new version');
    if (!response.ok || !response.body) throw FeedErrors.DOWNLOAD(url.href, `HTTP ${response.status}`);
    return Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
  }

  private fileUrl(file: FeedFileEntry): URL {
    return new URL(file.path.split('/').map(encodeURIComponent).join('/'), this.base);
  }

  private async small(response: Response, url: URL): Promise<Buffer> {
    const declared = Number(response.headers.get('content-length') ?? 0);
    if (declared > MAX_MANIFEST_BYTES) throw FeedErrors.BAD_MANIFEST(url.href, `${declared} bytes, more than ${MAX_MANIFEST_BYTES}`);
    const bytes = Buffer.from(await response.arrayBuffer().catch((err: unknown) => {
      throw asFeedError(err, url.href);
    }));
    if (bytes.length > MAX_MANIFEST_BYTES) throw FeedErrors.BAD_MANIFEST(url.href, `more than ${MAX_MANIFEST_BYTES} bytes`);
    return bytes;
  }

  private async get(url: URL, headers: Record<string, string>): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(url, { headers, signal: AbortSignal.any([this.signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]) });
    } catch (err) {
      throw FeedErrors.DOWNLOAD(url.href, (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message);
    }
    if (response.status === 503) {
      await response.body?.cancel();
      throw upstreamBusy(url.href, response.headers.get('retry-after'), Date.now());
    }
    return response;
  }
}

/** A feed folder on a disk: `<root>/<name>/`, written by `sugar-server feeds export`. */
export class FolderFeedSource implements FeedSource {
  constructor(
    private readonly root: string,
    private readonly name: string,
  ) {}

  get where(): string {
    return join(this.root, this.name);
  }

  async manifest(): Promise<FetchedManifest> {
    const file = join(this.where, MANIFEST_FILE);
    const bytes = await readIfPresent(file);
    if (!bytes) throw FeedErrors.BAD_MANIFEST(file, 'missing');
    return { where: file, bytes, signature: await readIfPresent(file + SIGNATURE_SUFFIX), validators: { etag: null, lastModified: null } };
  }

  async keys(): Promise<SignedBytes | null> {
    const file = join(this.root, KEYS_FILE);
    const bytes = await readIfPresent(file);
    return bytes ? { where: file, bytes, signature: await readIfPresent(file + SIGNATURE_SUFFIX) } : null;
  }

  locate(file: FeedFileEntry): string {
    return join(this.where, file.path);
  }

  async open(file: FeedFileEntry): Promise<Readable> {
    const path = this.locate(file);
    const stream = createReadStream(path);
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', (err) => reject(FeedErrors.DOWNLOAD(path, (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : err.message)));
    });
    return stream;
  }
}

async function readIfPresent(file: string): Promise<Buffer | null> {
  try {
    return await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw FeedErrors.DOWNLOAD(file, (err as Error).message);
  }
}
