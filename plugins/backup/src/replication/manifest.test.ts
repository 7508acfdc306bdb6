import { describe, expect, it } from 'vitest';
import { encodeManifest, manifestText, parseManifest, type Manifest } from './manifest.js';

const SNAPSHOT = { serial: 'SHC0000000A', snapshot: 'datastore-2026-03-01_20:15' };
const DIGEST = 'ab'.repeat(32);
const PACK = 'cd'.repeat(32);

function manifest(version: number, file: Record<string, unknown>): string {
  return JSON.stringify({
    version,
    ...SNAPSHOT,
    root: { mode: 0o755, mtime: 1 },
    entries: [{ type: 'dir', path: 'ab', mode: 0o755, mtime: 1 }, { type: 'file', path: 'ab/data', mode: 0o644, mtime: 1, size: 3, sha256: DIGEST, ...file }],
  });
}

describe('manifests', () => {
  it('read files in packs (version 2) and files as objects of their own (versions 1 and 2)', () => {
    expect(parseManifest(manifest(2, { pack: PACK, offset: 10, length: 3 }), SNAPSHOT).entries[1]).toMatchObject({ pack: PACK, offset: 10, length: 3 });
    expect(parseManifest(manifest(2, {}), SNAPSHOT).entries[1]).not.toHaveProperty('pack');
    expect(parseManifest(manifest(1, {}), SNAPSHOT).version).toBe(1);
  });

  it('read files stored compressed (version 3), and refuse an encoding they do not know or one in an older version', () => {
    expect(parseManifest(manifest(3, { pack: PACK, offset: 10, length: 3, encoding: 'br' }), SNAPSHOT).entries[1]).toMatchObject({ encoding: 'br' });
    expect(parseManifest(manifest(3, { encoding: 'br' }), SNAPSHOT).entries[1]).toMatchObject({ encoding: 'br' });
    expect(() => parseManifest(manifest(3, { encoding: 'zstd' }), SNAPSHOT)).toThrow('manifest entry ab/data: unknown encoding "zstd"');
    expect(() => parseManifest(manifest(2, { encoding: 'br' }), SNAPSHOT)).toThrow('unknown encoding "br"');
  });

  it('refuse a bad location, a pack in a version 1 manifest and unknown versions', () => {
    for (const bad of [{ pack: 'not hex', offset: 0, length: 3 }, { pack: PACK, offset: -1, length: 3 }, { pack: PACK, offset: 0 }, { pack: PACK, offset: 0, length: 1.5 }]) {
      expect(() => parseManifest(manifest(2, bad), SNAPSHOT), JSON.stringify(bad)).toThrow('bad pack, offset or length');
    }
    expect(() => parseManifest(manifest(1, { pack: PACK, offset: 0, length: 3 }), SNAPSHOT)).toThrow('bad pack, offset or length');
    expect(() => parseManifest(manifest(4, {}), SNAPSHOT)).toThrow('manifest version 4 is not one of 1, 2, 3');
  });

  it('are stored gzipped, and plain ones (before packs) still read', async () => {
    const text = manifest(2, { pack: PACK, offset: 10, length: 3 });
    const stored = await encodeManifest(JSON.parse(text) as Manifest);
    expect(stored.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(manifestText(stored)).toBe(text);
    expect(manifestText(Buffer.from(manifest(1, {})))).toBe(manifest(1, {}));
    expect(() => manifestText(Buffer.from([0x1f, 0x8b, 0, 0]))).toThrow();
  });
});
