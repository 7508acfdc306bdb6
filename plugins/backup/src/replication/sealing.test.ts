import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSchoolKey, PLAIN, SEAL_OVERHEAD, Sealed } from './sealing.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sealing-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('sealing', () => {
  const body = Buffer.from('a child\'s Journal entry '.repeat(5000));

  it('seals a stream that opens again with the key, and only with it', async () => {
    const sealed = new Sealed(Buffer.alloc(32, 7));
    const stored = await collect(sealed.seal(Readable.from([body.subarray(0, 1000), body.subarray(1000)])));
    expect(stored.length).toBe(sealed.storedSize(body.length));
    expect(stored.includes(Buffer.from('Journal'))).toBe(false);
    const file = join(dir, 'object');
    await writeFile(file, stored);
    expect((await collect(await sealed.openFile(file))).equals(body)).toBe(true);
    expect(sealed.openBuffer(stored).equals(body)).toBe(true);
    await expect(collect(await new Sealed(Buffer.alloc(32, 8)).openFile(file))).rejects.toThrow();
    stored[SEAL_OVERHEAD] ^= 1;
    expect(() => sealed.openBuffer(stored)).toThrow();
  });

  it('names objects by a keyed digest, so a known file cannot be looked for', () => {
    const digest = 'cd'.repeat(32);
    expect(PLAIN.objectName(digest)).toBe(digest);
    expect(new Sealed(Buffer.alloc(32, 7)).objectName(digest)).toMatch(/^[0-9a-f]{64}$/);
    expect(new Sealed(Buffer.alloc(32, 7)).objectName(digest)).not.toBe(new Sealed(Buffer.alloc(32, 8)).objectName(digest));
  });

  it('makes the school key once, readable by its owner only, and refuses one others can read', async () => {
    const file = join(dir, 'school.key');
    const made = await loadSchoolKey(file, true);
    expect(made.created).toBe(true);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await loadSchoolKey(file, false)).key.equals(made.key)).toBe(true);
    await expect(loadSchoolKey(join(dir, 'absent.key'), false)).rejects.toMatchObject({ code: 'BACKUP_ERR_REPLICATION_KEY' });
    const open = join(dir, 'open.key');
    await writeFile(open, `${'00'.repeat(32)}\n`, { mode: 0o644 });
    await expect(loadSchoolKey(open, false)).rejects.toMatchObject({ code: 'BACKUP_ERR_REPLICATION_KEY' });
  });

  it('gives every sealed body an IV of its own, across refills of the random block', () => {
    const sealed = new Sealed(Buffer.alloc(32, 3));
    const ivs = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const body = sealed.sealBuffer(Buffer.from(`file ${i}`));
      ivs.add(body.subarray(4, 16).toString('hex'));
      expect(sealed.openBuffer(body).toString()).toBe(`file ${i}`);
    }
    expect(ivs.size).toBe(2000);
  });
});
