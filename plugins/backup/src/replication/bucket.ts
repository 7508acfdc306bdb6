/**
 * This school's part of the bucket, in the terms replication uses: objects by
 * key under the school's prefix, written whole or not at all, listed page by
 * page. Large bodies go up in parts (lib-storage), several at once.
 */
import type { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3ServiceException,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { BucketTarget } from './options.js';

/** Bodies from this size up go in parts. */
export const MULTIPART_FROM = 16 * 1024 * 1024;
const PART_SIZE = 8 * 1024 * 1024;
/** An empty object whose date tells the gateway's time; outside every folder replication lists. */
const CLOCK_MARKER = 'clock';

export interface ListedObject {
  /** The key under the school's prefix. */
  readonly key: string;
  readonly size: number;
  readonly modified: number;
}

export class Bucket {
  constructor(
    readonly client: S3Client,
    readonly target: BucketTarget,
  ) {}

  /** `s3://bucket/prefix` for logs and errors. */
  get url(): string {
    return `s3://${this.target.bucket}/${this.target.prefix}`;
  }

  private full(key: string): string {
    return this.target.prefix + key;
  }

  /** Write a small body; with `onlyIfAbsent`, false when the key already exists (the server answered 412). */
  async put(key: string, body: Buffer, options: { onlyIfAbsent?: boolean; signal?: AbortSignal } = {}): Promise<boolean> {
    try {
      await this.client.send(
        new PutObjectCommand({ Bucket: this.target.bucket, Key: this.full(key), Body: body, ContentLength: body.length, IfNoneMatch: options.onlyIfAbsent ? '*' : undefined }),
        { abortSignal: options.signal },
      );
      return true;
    } catch (err) {
      if (options.onlyIfAbsent && statusOf(err) === 412) return false;
      throw err;
    }
  }

  /** Write a body of `size` bytes from a stream; in parts when large, or when its size is unknown (a compressed body) and it turns out large. */
  async upload(key: string, body: Readable, size: number | undefined, signal?: AbortSignal): Promise<void> {
    if (size !== undefined && size < MULTIPART_FROM) {
      await this.client.send(new PutObjectCommand({ Bucket: this.target.bucket, Key: this.full(key), Body: body, ContentLength: size }), { abortSignal: signal });
      return;
    }
    const upload = new Upload({ client: this.client, params: { Bucket: this.target.bucket, Key: this.full(key), Body: body }, partSize: PART_SIZE, queueSize: 2, leavePartsOnError: false });
    const abort = () => void upload.abort();
    signal?.addEventListener('abort', abort, { once: true });
    try {
      await upload.done();
    } finally {
      signal?.removeEventListener('abort', abort);
    }
  }

  /** The object's body as a stream, or null when there is no such key. */
  async get(key: string, signal?: AbortSignal): Promise<Readable | null> {
    try {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: this.target.bucket, Key: this.full(key) }), { abortSignal: signal });
      return answer.Body as Readable;
    } catch (err) {
      if (statusOf(err) === 404) return null;
      throw err;
    }
  }

  /** `length` bytes of the object from `offset` (one ranged GET), or null when there is no such key; fewer bytes when the object is shorter. */
  async getRange(key: string, offset: number, length: number, signal?: AbortSignal): Promise<Buffer | null> {
    if (length === 0) return (await this.exists(key, signal)) ? Buffer.alloc(0) : null;
    try {
      const answer = await this.client.send(
        new GetObjectCommand({ Bucket: this.target.bucket, Key: this.full(key), Range: `bytes=${offset}-${offset + length - 1}` }),
        { abortSignal: signal },
      );
      return await readAll(answer.Body as Readable);
    } catch (err) {
      if (statusOf(err) === 404) return null;
      // The range starts past the end: the object is shorter than the manifest says.
      if (statusOf(err) === 416) return Buffer.alloc(0);
      throw err;
    }
  }

  async exists(key: string, signal?: AbortSignal): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.target.bucket, Key: this.full(key) }), { abortSignal: signal });
      return true;
    } catch (err) {
      if (statusOf(err) === 404) return false;
      throw err;
    }
  }

  async getBuffer(key: string, signal?: AbortSignal): Promise<Buffer | null> {
    const body = await this.get(key, signal);
    return body && readAll(body);
  }

  /**
   * The gateway's own time: the modification time it gives a marker written
   * now. Ages of objects are judged by this, the clock that dated them, so a
   * school whose clock is stepped or skewed never takes a fresh object for an
   * old one (second precision, as S3 dates objects).
   */
  async serverNow(signal?: AbortSignal): Promise<number> {
    await this.put(CLOCK_MARKER, Buffer.alloc(0), { signal });
    const head = await this.client.send(new HeadObjectCommand({ Bucket: this.target.bucket, Key: this.full(CLOCK_MARKER) }), { abortSignal: signal });
    if (!head.LastModified) throw new Error(`${this.url}${CLOCK_MARKER} has no Last-Modified date`);
    return head.LastModified.getTime();
  }

  /** Every object under `under` (relative to the school's prefix), page by page. */
  async *list(under: string, signal?: AbortSignal): AsyncGenerator<ListedObject> {
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.target.bucket, Prefix: this.full(under), ContinuationToken: token }),
        { abortSignal: signal },
      );
      for (const item of page.Contents ?? []) {
        if (!item.Key) continue;
        yield { key: item.Key.slice(this.target.prefix.length), size: item.Size ?? 0, modified: item.LastModified?.getTime() ?? 0 };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /** Delete keys, `concurrency` at a time (one request each: multi-object delete needs a Content-MD5 that not every server takes in the SDK's default checksum). */
  async delete(keys: readonly string[], concurrency: number, signal?: AbortSignal): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < keys.length) {
        const key = keys[next++]!;
        await this.client.send(new DeleteObjectCommand({ Bucket: this.target.bucket, Key: this.full(key) }), { abortSignal: signal });
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, keys.length) }, worker));
  }
}

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The HTTP status of a failed S3 call, when it got one. */
export function statusOf(err: unknown): number | undefined {
  if (err instanceof S3ServiceException) return err.$metadata.httpStatusCode;
  return (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}
