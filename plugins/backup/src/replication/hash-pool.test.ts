import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  it('hashes files in threads, and hands back the bytes of those smaller than asked', async () => {
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
  });
});
