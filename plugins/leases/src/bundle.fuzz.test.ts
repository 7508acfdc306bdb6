import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boundedProperty, fuzz, fuzzTestTimeout, mutatedText } from '../../../test/fuzz/settings.js';
import { formatBundle, parseBundle } from './bundle.js';
import { formatLease } from './lease-line.js';

const hex = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: min, maxLength: max });
const serial = fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'), minLength: 1, maxLength: 12 });
const expires = fc
  .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true })
  .map((d) => d.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, ''));
const leaseFor = (s: string) => fc.tuple(expires, hex(64, 64), hex(2, 64)).map(([e, keyid, signature]) => formatLease(s, e, { hash: 'sha256', keyid, signature }));
/** serial → its lease lines, concatenated, as a bundle holds them. */
const table = fc.uniqueArray(serial, { minLength: 1, maxLength: 6 }).chain((serials) =>
  fc.tuple(...serials.map((s) => fc.array(leaseFor(s), { minLength: 1, maxLength: 3 }).map((lines) => [s, lines.join('')] as const))),
);
const lineBundle = table.map((entries) => entries.map(([, text]) => text).join(''));
const jsonBundle = table.map((entries) => formatBundle(entries));

function checkOutcome(input: string | Buffer): void {
  try {
    const bundle = parseBundle(input);
    for (const entry of bundle.entries) {
      expect(entry.leases.length).toBeGreaterThan(0);
      for (const lease of entry.leases) expect(lease.serial).toBe(entry.serial);
    }
    for (const problem of bundle.problems) expect(problem.code).toMatch(/^LEASES_ERR_[A-Z_]+$/);
  } catch (err) {
    expect(err).toMatchObject({ code: 'LEASES_ERR_BAD_BUNDLE' });
  }
}

describe('parseBundle under fuzzing', () => {
  it('reads back what formatBundle wrote, and the same leases from lease lines', () => {
    fc.assert(
      boundedProperty(table, (entries) => {
        const expected = [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        const text = formatBundle(entries);
        // Canonical: keys in byte order, whatever they look like.
        expect(text).toBe(`[1,{${expected.map(([s, t]) => `${JSON.stringify(s)}:${JSON.stringify(t)}`).join(',')}}]`);
        const json = parseBundle(text);
        expect(json.form).toBe('json');
        expect(json.problems).toEqual([]);
        const read = json.entries.map((e) => [e.serial, e.leases.map((l) => l.text).join('')] as const);
        expect(read.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(expected);
        const lines = parseBundle(Buffer.from(entries.map(([, text]) => text).join('')));
        expect(lines.form).toBe('lines');
        expect(lines.problems).toEqual([]);
        expect(lines.entries.map((e) => [e.serial, e.leases.map((l) => l.text).join('')])).toEqual(entries.map(([s, t]) => [s, t]));
      }),
      fuzz(10_000),
    );
  }, fuzzTestTimeout());

  it('returns leases and problems, or throws LEASES_ERR_BAD_BUNDLE, for mutated bundles of both forms', () => {
    fc.assert(
      boundedProperty(fc.oneof(mutatedText(lineBundle), mutatedText(jsonBundle), fc.string({ maxLength: 200 }), fc.json()), (text) => {
        checkOutcome(text);
      }),
      fuzz(10_000),
    );
  }, fuzzTestTimeout());

  it('takes any bytes (invalid UTF-8 too) without another kind of error', () => {
    fc.assert(boundedProperty(fc.uint8Array({ maxLength: 300 }), (bytes) => checkOutcome(Buffer.from(bytes))), fuzz(10_000));
  }, fuzzTestTimeout());
});
