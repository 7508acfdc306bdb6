import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boundedProperty, fuzz, fuzzTestTimeout, mutatedText } from '../../../test/fuzz/settings.js';
import { parseManifest, type ManifestEntry } from './manifest-sha1.js';

const sha1 = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 40, maxLength: 40 });
const fileName = fc
  .string({ unit: fc.oneof(fc.constantFrom(...'abcXYZ019._- '), fc.string({ minLength: 1, maxLength: 1 })), minLength: 1, maxLength: 30 })
  .filter((f) => !/[/\\\n\r]/.test(f) && f !== '.' && f !== '..' && !f.startsWith(' ') && f.trim() !== '');
const entries = fc.array(fc.record({ sha1, file: fileName }), { minLength: 1, maxLength: 8 });
/** As `sha1sum *` writes it: two spaces in text mode, ` *` in binary mode. */
const write = (list: readonly ManifestEntry[], binary: boolean, crlf: boolean) =>
  list.map((e) => `${e.sha1} ${binary ? '*' : ' '}${e.file}${crlf ? '\r\n' : '\n'}`).join('');
const manifest = fc.tuple(entries, fc.boolean(), fc.boolean()).map(([list, b, c]) => write(list, b, c));

describe('parseManifest under fuzzing', () => {
  it('reads back the entries sha1sum wrote, in either mode and with either line end', () => {
    fc.assert(
      boundedProperty(entries, fc.boolean(), fc.boolean(), fc.boolean(), (list, binary, crlf, upper) => {
        const text = write(list.map((e) => ({ ...e, sha1: upper ? e.sha1.toUpperCase() : e.sha1 })), binary, crlf);
        expect(parseManifest(text)).toEqual(list);
      }),
      fuzz(10_000),
    );
  }, fuzzTestTimeout());

  it('returns plain names only, or throws LEASES_ERR_MANIFEST', () => {
    fc.assert(
      boundedProperty(fc.oneof(mutatedText(manifest), fc.string({ maxLength: 200 })), (text) => {
        try {
          for (const entry of parseManifest(text)) {
            expect(entry.sha1).toMatch(/^[0-9a-f]{40}$/);
            expect(entry.file).not.toMatch(/[/\\\n]/);
            expect(['', '.', '..']).not.toContain(entry.file);
          }
        } catch (err) {
          expect(err).toMatchObject({ code: 'LEASES_ERR_MANIFEST' });
        }
      }),
      fuzz(10_000),
    );
  }, fuzzTestTimeout());
});
