import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encodeSync } from './encoding.js';
import { buildPack, openBlob } from './pack-format.js';
import { PLAIN, Sealed, type Sealing } from './sealing.js';

const sha256 = (body: Buffer) => createHash('sha256').update(body).digest('hex');
const FILES = [Buffer.from('title of entry 1'), Buffer.alloc(0), Buffer.from('x'.repeat(70_000)), randomBytes(4096)];

/** Each file's blob read back from its range of the pack, as restore reads it with a ranged GET. */
function readBack(sealing: Sealing, files: Buffer[]) {
  const pack = buildPack(files.map((f) => sealing.sealBuffer(f)));
  return { pack, opened: pack.locations.map((at, i) => openBlob(sealing, pack.body.subarray(at.offset, at.offset + at.length), { length: at.length, sha256: sha256(files[i]!), size: files[i]!.length })) };
}

describe('packs of small files', () => {
  it('hold each file whole at its location, under the sha256 of the pack', () => {
    const { pack, opened } = readBack(PLAIN, FILES);
    expect(pack.name).toBe(sha256(pack.body));
    expect(pack.body.length).toBe(FILES.reduce((sum, f) => sum + f.length, 0));
    expect(pack.locations.map((at) => at.offset)).toEqual([0, 16, 16, 16 + 70_000]);
    expect(opened).toEqual(FILES.map((plain) => ({ ok: true, plain })));
  });

  it('seal each blob on its own: one opens alone, and the pack reveals no file or digest', () => {
    const sealing = new Sealed(randomBytes(32));
    const { pack, opened } = readBack(sealing, FILES);
    expect(opened.map((o) => o.ok && o.plain.toString('hex'))).toEqual(FILES.map((f) => f.toString('hex')));
    expect(pack.body.includes(Buffer.from('title of entry'))).toBe(false);
    for (const file of FILES) expect(pack.name).not.toBe(sha256(file));
    // The same files sealed again make another pack (fresh IVs): a pack's name cannot be guessed from its files.
    expect(buildPack(FILES.map((f) => sealing.sealBuffer(f))).name).not.toBe(pack.name);
  });

  it('report a changed blob, a short read and a wrong digest, and leave the other blobs readable', () => {
    for (const sealing of [PLAIN, new Sealed(randomBytes(32))]) {
      const pack = buildPack(FILES.map((f) => sealing.sealBuffer(f)));
      const body = Buffer.from(pack.body);
      const third = pack.locations[2]!;
      body[third.offset + 100]! ^= 1;
      const range = (i: number) => body.subarray(pack.locations[i]!.offset, pack.locations[i]!.offset + pack.locations[i]!.length);
      const expected = (i: number) => ({ length: pack.locations[i]!.length, sha256: sha256(FILES[i]!), size: FILES[i]!.length });
      const changed = openBlob(sealing, range(2), expected(2));
      expect(changed.ok).toBe(false);
      expect(!changed.ok && changed.detail).toMatch(sealing.encrypted ? /does not open with this school's key/ : /bytes do not match the manifest/);
      expect(openBlob(sealing, range(3), expected(3))).toEqual({ ok: true, plain: FILES[3] });
      expect(openBlob(sealing, range(3).subarray(0, 100), expected(3))).toEqual({ ok: false, detail: `the pack ends ${expected(3).length - 100} bytes short of it` });
      const wrong = openBlob(sealing, range(0), { ...expected(0), sha256: sha256(Buffer.from('another file')) });
      expect(!wrong.ok && wrong.detail).toMatch(/bytes do not match the manifest/);
    }
  });

  it('hold compressed blobs that open, decompress and check against the plain file, and report one that does not decompress', () => {
    const text = Buffer.from('a story about the river and the school '.repeat(500));
    const encoded = encodeSync(text);
    expect(encoded.encoding).toBe('br');
    for (const sealing of [PLAIN, new Sealed(randomBytes(32))]) {
      const pack = buildPack([sealing.sealBuffer(encoded.bytes), sealing.sealBuffer(Buffer.from('not brotli'))]);
      const range = (i: number) => pack.body.subarray(pack.locations[i]!.offset, pack.locations[i]!.offset + pack.locations[i]!.length);
      expect(openBlob(sealing, range(0), { length: pack.locations[0]!.length, sha256: sha256(text), size: text.length, encoding: 'br' })).toEqual({ ok: true, plain: text });
      const bad = openBlob(sealing, range(1), { length: pack.locations[1]!.length, sha256: sha256(text), size: text.length, encoding: 'br' });
      expect(!bad.ok && bad.detail).toMatch(/^it does not decompress \(br: /);
    }
  });
});
