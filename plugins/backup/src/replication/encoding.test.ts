import { randomBytes, randomInt } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text as readText } from 'node:stream/consumers';
import { brotliCompressSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBuffer, DecodeError, decodeStream, encodeSync, encodeStream, worthCompressingFile, worthCompressingSync } from './encoding.js';

const WORDS = 'the school laptop journal write paint turtle music story'.split(' ');
/** Words, as a Write document holds them. */
function prose(bytes: number): Buffer {
  const page = Array.from({ length: 4096 }, () => WORDS[randomInt(WORDS.length)]).join(' ');
  const pages = Array.from({ length: Math.ceil((2 * bytes) / page.length) + 1 }, () => page.slice(randomInt(page.length >> 1)));
  return Buffer.from(pages.join('\n')).subarray(0, bytes);
}
async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'encoding-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('compression of what goes to the bucket', () => {
  it('compresses text, and leaves random bytes (a recording) and tiny files as they are', () => {
    const document = prose(200_000);
    const encoded = encodeSync(document);
    expect(encoded.encoding).toBe('br');
    expect(encoded.bytes.length).toBeLessThan(document.length / 3);
    // Buffers compared with equals(): a deep comparison of megabytes byte by byte takes seconds.
    expect(decodeBuffer(encoded.bytes, 'br', document.length).equals(document)).toBe(true);
    const recording = randomBytes(200_000);
    expect(encodeSync(recording).encoding).toBeUndefined();
    expect(encodeSync(recording).bytes).toBe(recording);
    expect(encodeSync(Buffer.from('0'))).toEqual({ bytes: Buffer.from('0') });
    expect(worthCompressingSync(prose(64 * 1024))).toBe(true);
    expect(worthCompressingSync(randomBytes(64 * 1024))).toBe(false);
  });

  it('judges a large file by its first bytes, and streams it compressed and back', async () => {
    const document = prose(3 * 1024 * 1024);
    await writeFile(join(dir, 'document'), document);
    await writeFile(join(dir, 'recording'), randomBytes(1024 * 1024));
    expect(await worthCompressingFile(join(dir, 'document'))).toBe(true);
    expect(await worthCompressingFile(join(dir, 'recording'))).toBe(false);
    const stored = await collect(encodeStream(Readable.from([document.subarray(0, 1e6), document.subarray(1e6)]), document.length));
    expect(stored.length).toBeLessThan(document.length / 3);
    expect((await collect(decodeStream(Readable.from([stored]), 'br', document.length))).equals(document)).toBe(true);
  });

  it('refuses a body that is not what it claims, or inflates past the size its manifest names, without inflating it all', async () => {
    const bomb = brotliCompressSync(Buffer.alloc(8 * 1024 * 1024));
    expect(() => decodeBuffer(bomb, 'br', 1000)).toThrow();
    expect(() => decodeBuffer(Buffer.from('not brotli at all'), 'br', 17)).toThrow();
    await expect(collect(decodeStream(Readable.from([bomb]), 'br', 1000))).rejects.toThrow(new DecodeError('it inflates past the 1000 bytes its manifest names'));
    await expect(readText(decodeStream(Readable.from([Buffer.from('not brotli at all')]), 'br', 17))).rejects.toBeInstanceOf(DecodeError);
    // Stored as it is: nothing to decode.
    expect(decodeBuffer(Buffer.from('plain'), undefined, 5)).toEqual(Buffer.from('plain'));
  });
});
