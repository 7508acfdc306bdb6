import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildXo, hostile, zipOf, xoEntries } from '../../../test/fixtures/xo-builder.js';
import { fuzz, fuzzTestTimeout, mutatedBytes } from '../../../test/fuzz/settings.js';
import { editFields, type FieldEdit } from '../../../test/fuzz/zip-fields.js';
import type { BundleLimits } from './bundle-checks.js';
import { inspectBundle } from './bundle-inspector.js';

const LIMITS: BundleLimits = { maxUnpackedSize: 64 * 1024 ** 2, maxEntrySize: 16 * 1024 ** 2, maxRatio: 100, maxEntries: 2_000 };

let dir: string;
let counter = 0;
/** Valid bundles and the hostile fixtures, built once: every case mutates one of them. */
let seeds: Buffer[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'activities-fuzz-'));
  seeds = await Promise.all([
    buildXo(),
    buildXo({ oldStyle: true, translations: { es: { name: 'Pintar' }, pt_BR: '[Activity]\nname = x\n' }, files: { 'lib/a.py': 'x = 1\n', 'data/b.txt': 'b'.repeat(3000) } }),
    buildXo({ mimetype: false, icon: null }),
    zipOf([...xoEntries(), { name: 'Example.activity/stored.txt', data: 'stored '.repeat(50), compress: false }]),
    hostile.overlapping(),
    hostile.symlink(),
    hostile.controlCharacterCp437(),
    hostile.lyingBomb(256 * 1024),
  ]);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const seed = fc.nat().map((i) => seeds[i % seeds.length]!);
const fieldEdit: fc.Arbitrary<FieldEdit> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), field: fc.nat(), value: fc.constantFrom(0, 1, 2, 30, 46, 0xffff, 0xfffe, 0x7fffffff, 0xffffffff, 0x80000000) }),
  fc.record({ kind: fc.constant('add' as const), field: fc.nat(), delta: fc.integer({ min: -64, max: 64 }) }),
  fc.record({ kind: fc.constant('copy' as const), field: fc.nat(), from: fc.nat() }),
);
const archive = fc.oneof(
  // Counts, sizes and offsets changed where readers trust them: huge counts, overlapping entries, bad offsets.
  { weight: 3, arbitrary: fc.tuple(seed, fc.array(fieldEdit, { minLength: 1, maxLength: 3 })).map(([zip, edits]) => editFields(zip, edits)) },
  // Bytes changed anywhere: flipped, cut, spliced.
  { weight: 2, arbitrary: mutatedBytes(seed) },
  { weight: 1, arbitrary: fc.tuple(seed, fc.array(fieldEdit, { minLength: 1, maxLength: 2 })).chain(([zip, edits]) => mutatedBytes(fc.constant(editFields(zip, edits)), 2)) },
);

describe('.xo bundles under fuzzing', () => {
  // Each case writes an archive of a few KiB and unpacks all of it, about 1 ms a case:
  // 10,000 of them fit the run, and npm run fuzz takes more.
  it('inspects a crafted archive to contents, or refuses it with an ACTIVITIES_ERR code, never anything else and never stuck', async () => {
    const outcomes = new Map<string, number>();
    const count = (what: string) => outcomes.set(what, (outcomes.get(what) ?? 0) + 1);
    await fc.assert(
      fc.asyncProperty(archive, async (data) => {
        const path = join(dir, `c${++counter}.xo`);
        await writeFile(path, data);
        try {
          const bundle = await inspectBundle(path, LIMITS);
          expect(bundle.entryCount).toBeGreaterThan(0);
          expect(bundle.size).toBe(data.length);
          expect(bundle.unpackedSize).toBeLessThanOrEqual(LIMITS.maxUnpackedSize);
          expect(bundle.info.bundleId).toMatch(/^[A-Za-z0-9._-]+$/);
          count('accepted');
        } catch (err) {
          count(String((err as { code?: unknown }).code));
          expect((err as { code?: unknown }).code, String((err as Error)?.stack ?? err)).toMatch(/^ACTIVITIES_ERR_[A-Z_]+$/);
        } finally {
          await rm(path, { force: true });
        }
      }),
      fuzz(10_000),
    );
    // The mutations reach past the first check: some archives are still bundles, others fail deeper than "not a zip".
    if ([...outcomes.values()].reduce((a, b) => a + b, 0) >= 1_000) {
      expect(outcomes.get('accepted') ?? 0).toBeGreaterThan(0);
      expect([...outcomes.keys()].filter((k) => k !== 'accepted' && k !== 'ACTIVITIES_ERR_NOT_ZIP').length).toBeGreaterThan(1);
    }
  }, fuzzTestTimeout());
});
