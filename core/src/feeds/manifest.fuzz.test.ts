import { join, relative, isAbsolute } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boundedProperty, fuzz, fuzzTestTimeout, mutatedText } from '../../../test/fuzz/settings.js';
import { checkManifest, isSafeFeedPath } from './manifest.js';

const segment = fc.oneof(fc.stringMatching(/^[A-Za-z0-9._-]{1,12}$/), fc.constantFrom('.', '..', '...', '.hidden', 'a..b', '', ' ', '%2e%2e', 'é', 'a\\b', 'C:'));
const path = fc.oneof(
  // Names that collide once laid out: a file and a folder of one name, the mirror's own record.
  fc.constantFrom('a', 'a/b', 'a/b/c', 'leases', 'leases/x.sig', '.manifest.json'),
  fc.array(fc.stringMatching(/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,11}$/), { minLength: 1, maxLength: 4 }).map((s) => s.join('/')),
  fc.tuple(fc.constantFrom('', '/', './', '../'), fc.array(segment, { minLength: 1, maxLength: 4 })).map(([lead, s]) => lead + s.join('/')),
);
const sha256 = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 });
const entry = fc.record({ path, sha256, size: fc.nat() });
const manifest = fc.record({
  name: fc.stringMatching(/^[a-z]{1,12}$/),
  generated: fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()),
  files: fc.uniqueArray(entry, { selector: (e) => e.path, maxLength: 8 }),
});
/** A field swapped for another JSON value: where a manifest from the network goes wrong. */
const mutatedManifest = fc.tuple(manifest, fc.constantFrom('name', 'generated', 'files', 'path', 'sha256', 'size'), fc.jsonValue()).map(([m, field, v]) => {
  const copy = JSON.parse(JSON.stringify(m)) as Record<string, unknown> & { files: Record<string, unknown>[] };
  if (field === 'path' || field === 'sha256' || field === 'size') {
    if (copy.files.length) copy.files[0]![field] = v;
    else copy.files.push({ [field]: v });
  } else copy[field] = v;
  return JSON.stringify(copy);
});

function checkOutcome(text: string): void {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return; // the mirror refuses text that is not JSON before checking it
  }
  try {
    const checked = checkManifest(value, 'http://mothership.example/feeds/v1/leases/manifest.json');
    const root = '/var/lib/sugar-server/leases/feeds/leases/snapshot';
    for (const file of checked.files) {
      // Every accepted path lands inside the snapshot folder.
      const rel = relative(root, join(root, file.path));
      expect(rel === '..' || rel.startsWith('../') || isAbsolute(rel) || rel === '').toBe(false);
      expect(file.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(Number.isSafeInteger(file.size) && file.size >= 0).toBe(true);
    }
    expect(new Set(checked.files.map((f) => f.path)).size).toBe(checked.files.length);
    // Every file can be laid out in one snapshot folder: none is a folder of another, none is the mirror's own record.
    for (const file of checked.files) {
      expect(file.path).not.toBe('.manifest.json');
      expect(checked.files.some((other) => other.path.startsWith(`${file.path}/`))).toBe(false);
    }
  } catch (err) {
    expect(err).toMatchObject({ code: 'SERVER_ERR_FEED_MANIFEST' });
  }
}

describe('feed manifests under fuzzing', () => {
  it('accepts a manifest as published, safe paths only, and gives back its fields', () => {
    fc.assert(
      boundedProperty(manifest, (m) => {
        const text = JSON.stringify(m);
        const safe = m.files.every((f) => isSafeFeedPath(f.path) && f.path !== '.manifest.json' && !m.files.some((o) => o.path.startsWith(`${f.path}/`)));
        if (safe) expect(checkManifest(JSON.parse(text), 'u')).toEqual(m);
        else expect(() => checkManifest(JSON.parse(text), 'u')).toThrow(expect.objectContaining({ code: 'SERVER_ERR_FEED_MANIFEST' }));
        checkOutcome(text);
      }),
      fuzz(10_000),
    );
  }, fuzzTestTimeout());

  it('checks a mutated or arbitrary manifest, or refuses it with SERVER_ERR_FEED_MANIFEST', () => {
    fc.assert(
      boundedProperty(fc.oneof(mutatedManifest, mutatedText(manifest.map((m) => JSON.stringify(m))), fc.json()), (text) => checkOutcome(text)),
      fuzz(10_000),
    );
  }, fuzzTestTimeout());

  it('calls no path safe that leaves the folder', () => {
    fc.assert(
      boundedProperty(fc.oneof(path, fc.string({ maxLength: 40 })), (p) => {
        if (!isSafeFeedPath(p)) return;
        expect(p.split('/').some((s) => s === '' || s === '.' || s === '..')).toBe(false);
        expect(isAbsolute(p)).toBe(false);
      }),
      fuzz(10_000),
    );
  }, fuzzTestTimeout());
});
