import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boundedProperty, fuzz, fuzzTestTimeout, mutatedText, resultOrCoded } from '../../../test/fuzz/settings.js';
import { formatLease, parseLease, type Sig01 } from './lease-line.js';

const hex = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: min, maxLength: max });
const serial = fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcxyz0123456789'), minLength: 1, maxLength: 32 });
const expires = fc
  .date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true })
  .map((d) => d.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, ''));
const sig01: fc.Arbitrary<Sig01> = fc.record({
  hash: fc.constantFrom('sha256', 'sha512', 'md5'),
  keyid: hex(64, 64),
  signature: hex(1, 512),
});
const wellFormed = fc.tuple(serial, expires, sig01).map(([s, e, sig]) => formatLease(s, e, sig));

describe('parseLease under fuzzing', () => {
  it('gives back what formatLease was given', () => {
    fc.assert(
      boundedProperty(serial, expires, sig01, (s, e, sig) => {
        const text = formatLease(s, e, sig);
        const lease = parseLease(text, 'line 1');
        expect(lease).toEqual({ serial: s, expires: e, sig01: sig, text });
        // Without its newline, or with a CR before it, the same lease comes back.
        expect(parseLease(text.slice(0, -1), 'line 1')).toEqual(lease);
        expect(parseLease(`${text.slice(0, -1)}\r\n`, 'line 1')).toEqual(lease);
      }),
      fuzz(10_000),
    );
  }, fuzzTestTimeout());

  it('returns a lease or throws LEASES_ERR_BAD_LEASE for near-misses and noise', () => {
    fc.assert(
      boundedProperty(fc.oneof(mutatedText(wellFormed), fc.string({ maxLength: 200 })), (line) => {
        try {
          const lease = parseLease(line, 'line 7');
          // What is read back is one line: the text it will be sent as parses to the same lease.
          expect(lease.text.endsWith('\n')).toBe(true);
          expect(lease.text.slice(0, -1)).not.toMatch(/\n/);
          expect(parseLease(lease.text, 'line 7')).toEqual(lease);
          if (lease.sig01) expect(lease.text).toBe(formatLease(lease.serial, lease.expires, lease.sig01));
        } catch (err) {
          expect(err).toMatchObject({ code: 'LEASES_ERR_BAD_LEASE' });
          expect((err as Error).message).toMatch(/^line 7: /);
        }
      }),
      fuzz(10_000),
    );
  }, fuzzTestTimeout());

  it('never throws anything but a coded error on arbitrary unicode', () => {
    fc.assert(boundedProperty(fc.string({ unit: 'binary', maxLength: 300 }), (line) => void resultOrCoded(() => parseLease(line, 'x'))), fuzz(10_000));
  }, fuzzTestTimeout());
});
