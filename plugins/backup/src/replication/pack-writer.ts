/**
 * Small files go up together: each file's bytes, sealed on its own (so one
 * file comes back with a ranged GET and opens alone), appended to an open
 * pack; once the pack reaches `PACK_SIZE` it is sent as one object, named by
 * the sha256 of its stored bytes, while the next fills. A blob's location is
 * known, and in the index, only once its pack is acknowledged. A few packs go
 * up at once; adding waits for room beyond that, so memory stays bounded.
 */
import { Readable } from 'node:stream';
import type { Bucket } from './bucket.js';
import type { Encoding } from './encoding.js';
import { packKey, PACK_SIZE } from './layout.js';
import { buildPack, type BuiltPack } from './pack-format.js';
import type { BlobLocation, ObjectIndex } from './object-index.js';
import { withRetries } from './retry.js';
import type { Sealing } from './sealing.js';
import type { Throttle } from './throttle.js';

export interface PackDeps {
  readonly bucket: Bucket;
  readonly index: ObjectIndex;
  readonly sealing: Sealing;
  readonly throttle: Throttle;
  /** Packs sent at once. */
  readonly uploads: number;
  /** Blobs are gathered until a pack holds this many bytes. */
  readonly packSize?: number;
  /** Throws to stop before the next pack (outside the replication window). */
  checkWindow(): void;
  onRetry(err: unknown, attempt: number): void;
}

interface Pending {
  readonly name: string;
  readonly encoding?: Encoding;
  /** The sealed blob, in pieces. */
  readonly parts: Buffer[];
  readonly length: number;
  resolve(at: BlobLocation): void;
  reject(err: unknown): void;
}

/** What went up. */
export interface PackCounts {
  packs: number;
  /** Bytes of the blobs before sealing (compressed, for those stored so). */
  blobBytes: number;
  blobs: number;
}

export class PackWriter {
  readonly counts: PackCounts = { packs: 0, blobBytes: 0, blobs: 0 };
  private open: Pending[] = [];
  private openBytes = 0;
  private readonly sending = new Set<Promise<void>>();
  private failure: { err: unknown } | null = null;

  constructor(
    private readonly deps: PackDeps,
    private readonly signal: AbortSignal,
  ) {}

  /** Wait until another blob may be added without holding more than `uploads` packs in memory; throws once a pack has failed. */
  async room(): Promise<void> {
    while (this.sending.size >= this.deps.uploads && !this.failure) await Promise.race(this.sending);
    if (this.failure) throw this.failure.err;
  }

  /** Add the blob of content `name` (`bytes` as stored before sealing, `encoding` when compressed); resolves with where it is once its pack is acknowledged. */
  add(name: string, bytes: Buffer, encoding?: Encoding): Promise<BlobLocation> {
    const parts = this.deps.sealing.sealParts(bytes);
    const length = parts.reduce((sum, part) => sum + part.length, 0);
    const located = new Promise<BlobLocation>((resolve, reject) => this.open.push({ name, encoding, parts, length, resolve, reject }));
    // Rejections are the caller's when it awaits; a blob whose pack failed and that nobody awaits is not an unhandled one.
    located.catch(() => {});
    this.openBytes += length;
    this.counts.blobs++;
    this.counts.blobBytes += bytes.length;
    if (this.openBytes >= (this.deps.packSize ?? PACK_SIZE)) this.send();
    return located;
  }

  /** Send the open pack, however small, and wait for every pack; throws the first failure. */
  async flush(): Promise<void> {
    if (this.open.length) this.send();
    while (this.sending.size) await Promise.race(this.sending);
    if (this.failure) throw this.failure.err;
  }

  private send(): void {
    const blobs = this.open;
    this.open = [];
    this.openBytes = 0;
    const sending = this.upload(buildPack(blobs.map((b) => b.parts)), blobs).finally(() => this.sending.delete(sending));
    this.sending.add(sending);
  }

  private async upload(pack: BuiltPack, blobs: readonly Pending[]): Promise<void> {
    try {
      const { deps } = this;
      await withRetries(async () => {
        deps.checkWindow();
        await deps.bucket.upload(packKey(pack.name), deps.throttle.pace(Readable.from([pack.body], { objectMode: false }), this.signal), pack.body.length, this.signal);
      }, this.signal, deps.onRetry);
      await deps.index.add(...blobs.map((blob, i) => ({ name: blob.name, at: pack.locations[i]!, encoding: blob.encoding })));
      this.counts.packs++;
      blobs.forEach((blob, i) => blob.resolve(pack.locations[i]!));
    } catch (err) {
      this.failure ??= { err };
      for (const blob of blobs) blob.reject(err);
    }
  }
}
