import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The built pool: its threads run the compiled hash-worker.js beside it (`npm test` builds first).
import { HashPool } from '../../dist/replication/hash-pool.js';

let dir: string;
const pool = new HashPool(2);
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hash-pool-'));
});
afterAll(async () => {
  await pool.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the hash pool', () => {
  it('hashes files in threads, alone or in batches, and hands back the bytes of those smaller than asked', async () => {
    const files = { small: randomBytes(3000), empty: Buffer.alloc(0), large: randomBytes(3 * 1024 * 1024) };
    for (const [name, body] of Object.entries(files)) await writeFile(join(dir, name), body);
    const [small, empty, large, unasked] = await Promise.all([
      pool.hash(join(dir, 'small'), 512 * 1024),
      pool.hash(join(dir, 'empty'), 512 * 1024),
      pool.hash(join(dir, 'large'), 512 * 1024),
      pool.hash(join(dir, 'small')),
    ]);
    const sha256 = (body: Buffer) => createHash('sha256').update(body).digest('hex');
    expect(small).toEqual({ digest: sha256(files.small), size: 3000, bytes: files.small });
    expect(empty).toEqual({ digest: sha256(files.empty), size: 0, bytes: Buffer.alloc(0) });
    expect(large).toEqual({ digest: sha256(files.large), size: files.large.length, bytes: undefined });
    expect(unasked.bytes).toBeUndefined();
    await expect(pool.hash(join(dir, 'absent'))).rejects.toThrow('ENOENT');
    // Many files at once come back in the order asked, in batches over the threads.
    const many = await pool.hashMany(['large', 'small', 'empty', 'small'].map((name) => join(dir, name)), 512 * 1024, [files.large.length, 3000, 0, 3000]);
    expect(many).toEqual([large, small, empty, small]);
  });

  it('hands back files compressed when they shrink, packed or larger, and as they are only those packed', async () => {
    const compressing = new HashPool(1, true);
    try {
      const text = (bytes: number) => Buffer.from('the turtle draws a river by the school '.repeat(Math.ceil(bytes / 39))).subarray(0, bytes);
      const files = { note: text(80_000), photo: randomBytes(100_000), book: text(3 * 1024 * 1024), recording: randomBytes(2 * 1024 * 1024), film: text(9 * 1024 * 1024) };
      for (const [name, body] of Object.entries(files)) await writeFile(join(dir, name), body);
      const [note, photo, book, recording, film] = await compressing.hashMany(Object.keys(files).map((name) => join(dir, name)), 512 * 1024);
      const sha256 = (body: Buffer) => createHash('sha256').update(body).digest('hex');
      expect(note).toMatchObject({ digest: sha256(files.note), size: files.note.length, encoding: 'br' });
      expect(note!.bytes!.length).toBeLessThan(files.note.length / 10);
      expect(brotliDecompressSync(note!.bytes!).equals(files.note)).toBe(true);
      expect(photo).toEqual({ digest: sha256(files.photo), size: files.photo.length, bytes: files.photo });
      // Past the packed size: back compressed when it shrinks, without its bytes when it does not or is too large to hold.
      expect(book).toMatchObject({ digest: sha256(files.book), size: files.book.length, encoding: 'br' });
      expect(brotliDecompressSync(book!.bytes!).equals(files.book)).toBe(true);
      expect(recording).toEqual({ digest: sha256(files.recording), size: files.recording.length });
      expect(film).toEqual({ digest: sha256(files.film), size: files.film.length });
    } finally {
      await compressing.close();
    }
  });

  it('walks a snapshot in a thread: folders before what they hold, with modes, times and sizes', async () => {
    const snapshot = join(dir, 'snapshot');
    await mkdir(join(snapshot, 'ab/entry/metadata'), { recursive: true });
    await writeFile(join(snapshot, 'ab/entry/data'), 'data');
    await writeFile(join(snapshot, 'ab/entry/metadata/title'), 'a title');
    await symlink('entry/data', join(snapshot, 'ab/link'));
    const found = await pool.walk(snapshot);
    expect(found.map((e) => `${e.type} ${e.path}`)).toEqual(['dir ab', 'dir ab/entry', 'file ab/entry/data', 'dir ab/entry/metadata', 'file ab/entry/metadata/title', 'symlink ab/link']);
    expect(found[2]).toMatchObject({ size: 4, mode: expect.any(Number), mtime: expect.any(Number), inode: expect.any(String) });
    expect(found[5]).toMatchObject({ target: 'entry/data' });
    await expect(pool.walk(join(dir, 'absent'))).rejects.toThrow('ENOENT');
  });
});
