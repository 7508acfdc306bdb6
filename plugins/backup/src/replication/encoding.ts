/**
 * Compression of what goes to the bucket (`replicate_compression`, on by
 * default): a file whose bytes shrink is stored brotli-compressed, before it
 * is sealed, and its manifest entry says `"encoding": "br"`. Journals are
 * mostly text (Write documents, Turtle Art projects, metadata) that shrinks
 * four- or fivefold; recordings and photos do not shrink at all, so a file is
 * judged by a sample first and stored as it is when the sample does not
 * shrink. Brotli at quality 1 compresses text about as well as gzip at level
 * 1, half again as fast, and gives up on random bytes at several hundred MB/s;
 * Node has it built in (no zstd before Node 22).
 *
 * Nothing here runs on the event loop: files below COMPRESS_BELOW are
 * compressed in the hash pool's threads while they are hashed (read once),
 * larger ones by a zlib stream (libuv's thread pool) as they are sent.
 */
import { open } from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';
import { promisify } from 'node:util';
import { brotliCompress, brotliCompressSync, brotliDecompressSync, constants, createBrotliCompress, createBrotliDecompress } from 'node:zlib';

/** How a stored body is encoded before sealing; absent: the file's bytes as they are. */
export type Encoding = 'br';

export const ENCODINGS: ReadonlySet<string> = new Set<Encoding>(['br']);

/** The bytes judged: a file shrinks as its first 64 KiB do, near enough (a Journal entry is one kind of thing). */
export const SAMPLE_BYTES = 64 * 1024;
/** Files below this are compressed whole in a hashing thread; larger ones stream. */
export const COMPRESS_BELOW = 8 * 1024 * 1024;
/** zlib's output chunk for a streamed file: its default 16 KiB costs a callback on the event loop every 16 KiB. */
const STREAM_CHUNK = 256 * 1024;
/** Stored compressed only when that saves at least an eighth: less is not worth a decompression at restore. */
const WORTH = 7 / 8;
/** Files this small never shrink by an eighth once brotli's own bytes are added. */
const SMALLEST = 64;

const QUALITY = 1;

function params(sizeHint: number) {
  return { params: { [constants.BROTLI_PARAM_QUALITY]: QUALITY, [constants.BROTLI_PARAM_SIZE_HINT]: sizeHint } };
}

/** Whether compressing `plain` to `compressed` bytes pays. */
function pays(plain: number, compressed: number): boolean {
  return plain >= SMALLEST && compressed <= plain * WORTH;
}

/** Whether a file that begins with `sample` (up to SAMPLE_BYTES of it) is worth compressing. Blocking: for the hash pool's threads. */
export function worthCompressingSync(sample: Buffer): boolean {
  return sample.length >= SMALLEST && pays(sample.length, brotliCompressSync(sample, params(sample.length)).length);
}

/**
 * A file's stored bytes: compressed when that pays, else as they are. A file
 * past SAMPLE_BYTES is first judged by its start, unless `judged` says the
 * caller already did. Blocking: for the hash pool's threads.
 */
export function encodeSync(plain: Buffer, judged = false): { bytes: Buffer; encoding?: Encoding } {
  if (plain.length < SMALLEST) return { bytes: plain };
  if (!judged && plain.length > SAMPLE_BYTES && !worthCompressingSync(plain.subarray(0, SAMPLE_BYTES))) return { bytes: plain };
  const compressed = brotliCompressSync(plain, params(plain.length));
  return pays(plain.length, compressed.length) ? { bytes: compressed, encoding: 'br' } : { bytes: plain };
}

/** A large file's body compressed on its way out (in libuv's threads). */
export function encodeStream(body: Readable, size: number): Readable {
  const compress = createBrotliCompress({ ...params(size), chunkSize: STREAM_CHUNK });
  body.on('error', (err) => compress.destroy(err));
  return body.pipe(compress);
}

/** The plain bytes of a stored blob of `size` plain bytes; throws when it is not what `encoding` says or inflates past `size`. */
export function decodeBuffer(stored: Buffer, encoding: Encoding | undefined, size: number): Buffer {
  if (encoding === undefined) return stored;
  // One byte more than expected is enough to tell a body that inflates too far, without inflating it all.
  return brotliDecompressSync(stored, { maxOutputLength: Math.max(1, size + 1) });
}

/** A stored body that does not decompress as its manifest says. */
export class DecodeError extends Error {}

/** A stored object's plain bytes as a stream, cut off with a DecodeError once past `size` bytes (a body that inflates without end fills no disk). */
export function decodeStream(stored: Readable, encoding: Encoding | undefined, size: number): Readable {
  if (encoding === undefined) return stored;
  const inflate = createBrotliDecompress();
  let bytes = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      if (bytes > size) done(new DecodeError(`it inflates past the ${size} bytes its manifest names`));
      else done(null, chunk);
    },
  });
  stored.on('error', (err) => inflate.destroy(err));
  inflate.on('error', (err) => limit.destroy(new DecodeError(`it does not decompress (${encoding}: ${err.message})`)));
  return stored.pipe(inflate).pipe(limit);
}

const compressAsync = promisify(brotliCompress);

/** Whether the large file at `path` is worth compressing, judged by its first SAMPLE_BYTES (read and compressed off the event loop). */
export async function worthCompressingFile(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  let sample: Buffer;
  try {
    const buffer = Buffer.alloc(SAMPLE_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, SAMPLE_BYTES, 0);
    sample = buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  return sample.length >= SMALLEST && pays(sample.length, (await compressAsync(sample, params(sample.length))).length);
}
