import { describe, expect, it } from 'vitest';
import { manifestKey, manifestOf, objectKey, objectNameOf, packKey, packNameOf, snapshotOfTimestamp, timestampOf } from './layout.js';
import { parseBucketTarget } from './options.js';

const NAME = 'ab'.repeat(32);

describe('replication layout', () => {
  it('names objects and packs by their first two hex digits and manifests by laptop and time', () => {
    expect(objectKey(NAME)).toBe(`objects/ab/${NAME}`);
    expect(objectNameOf(`objects/ab/${NAME}`)).toEqual({ name: NAME });
    expect(objectKey(NAME, 'br')).toBe(`objects/ab/${NAME}.br`);
    expect(objectNameOf(`objects/ab/${NAME}.br`)).toEqual({ name: NAME, encoding: 'br' });
    expect(objectNameOf(`objects/ab/${NAME}.gz`)).toBeNull();
    expect(objectNameOf(`objects/cd/${NAME}`)).toBeNull();
    expect(objectNameOf('objects/ab/not-hex')).toBeNull();
    expect(packKey(NAME)).toBe(`packs/ab/${NAME}`);
    expect(packNameOf(`packs/ab/${NAME}`)).toBe(NAME);
    expect(packNameOf(`objects/ab/${NAME}`)).toBeNull();
    expect(packNameOf(`packs/cd/${NAME}`)).toBeNull();
    expect(timestampOf('datastore-2026-03-01_20:15')).toBe('20260301T2015Z');
    expect(snapshotOfTimestamp('20260301T2015Z')).toBe('datastore-2026-03-01_20:15');
    expect(snapshotOfTimestamp('20261301T2015Z')).toBeNull();
    expect(manifestKey('SHC0000000A', 'datastore-2026-03-01_20:15')).toBe('laptops/SHC0000000A/20260301T2015Z.json');
    expect(manifestOf('laptops/SHC0000000A/20260301T2015Z.json')).toEqual({ serial: 'SHC0000000A', snapshot: 'datastore-2026-03-01_20:15' });
    expect(manifestOf('laptops/../20260301T2015Z.json')).toBeNull();
    expect(manifestOf('laptops/SHC0000000A/x.json')).toBeNull();
  });

  it('read s3:// targets and say what is wrong with others', () => {
    expect(parseBucketTarget('s3://school-backups')).toEqual({ ok: true, value: { bucket: 'school-backups', prefix: '' } });
    expect(parseBucketTarget('s3://school-backups/district/school-42/')).toEqual({ ok: true, value: { bucket: 'school-backups', prefix: 'district/school-42/' } });
    for (const [raw, why] of [['http://x/y', 'not an s3:// URL'], ['s3://Big_Bucket/x', 'is not a bucket name'], ['s3://bucket/../x', 'plain names']]) {
      const parsed = parseBucketTarget(raw!);
      expect(!parsed.ok && parsed.message, raw).toContain(why);
    }
  });
});
