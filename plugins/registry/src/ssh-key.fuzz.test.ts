import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boundedProperty, fuzz, fuzzTestTimeout, mutatedBytes, mutatedText } from '../../../test/fuzz/settings.js';
import { parsePublicKey } from './ssh-key.js';

const field = (bytes: Uint8Array | string) => {
  const body = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Buffer.from(bytes);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  return Buffer.concat([length, body]);
};
const blobOf = (...fields: (Uint8Array | string)[]) => Buffer.concat(fields.map(field));
/** A positive mpint: high bit clear, `bytes` long. */
const mpint = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max }).map((b) => { const out = Uint8Array.from(b); out[0] = (out[0]! & 0x7f) | 0x01; return out; });

/** Real points, one public key per curve (a point on the curve cannot be drawn at random), fixed so a seed replays. */
const ecdsaBlobs = ([
  ['nistp256', 'TXr8Sj-iSZtZeVHNLKwuW0Htst06ZNUyf3cdSHoWTww', '8RkT1Ep_ZLuGMInM-K1phHjwSRPr9bbInnsgQ662gRg'],
  ['nistp384', 'bAU6JLFctyut9YLs80VZBOKh2WGbXA3qUfWubZfPq9l8Lf6o2qFpSBM4DttUsThC', '7jEqEgtvo40qn8hLa-o10d69X8xX8iismR7eKevcAtDCHTkbkuhvxP-tNA3wcZev'],
  ['nistp521', 'AILKEJqGUPQqBpz5twruIBm3RGqf6U7OpI9cmxd_sK_1k7P2fXiWMJIHnQtm5aHdTVnCu2V_qe80n7Au71qcwUk3', 'Aedh5VWrY6zjXFlQeNomvJWkodjBlsbPgdfZt3UdYQw4kncPqNkUe-hzKJ7uNIilCAd7rtfCb-O4yPdF0BhgR57P'],
] as const).map(([name, x, y]) => blobOf(`ecdsa-sha2-${name}`, name, Buffer.concat([Buffer.from([4]), Buffer.from(x, 'base64url'), Buffer.from(y, 'base64url')])));
const validBlob = fc.oneof(
  fc.uint8Array({ minLength: 32, maxLength: 32 }).map((k) => ({ type: 'ssh-ed25519', blob: blobOf('ssh-ed25519', k) })),
  fc.tuple(mpint(1, 4), mpint(129, 520)).map(([e, n]) => ({ type: 'ssh-rsa', blob: blobOf('ssh-rsa', e, n) })),
  fc.tuple(mpint(20, 129), mpint(20, 21), mpint(20, 129), mpint(20, 129)).map(([p, q, g, y]) => ({ type: 'ssh-dss', blob: blobOf('ssh-dss', p, q, g, y) })),
  fc.constantFrom(...ecdsaBlobs).map((blob) => ({ type: blob.subarray(4, 4 + blob.readUInt32BE(0)).toString('latin1'), blob })),
);
const keyLine = fc.tuple(validBlob, fc.constantFrom('', ' laptop@xo', ' a b c', '\n'), fc.boolean()).map(([k, comment, full]) => `${full ? `${k.type} ` : ''}${k.blob.toString('base64')}${comment}`);

function checkOutcome(value: unknown): void {
  try {
    const key = parsePublicKey(value);
    // What is stored reads back as itself: a blob of the type recorded.
    expect(parsePublicKey(key.blob)).toEqual(key);
    expect(parsePublicKey(`${key.type} ${key.blob} again`)).toEqual(key);
  } catch (err) {
    expect((err as { code?: unknown }).code, String(err)).toBe('REGISTRY_ERR_BAD_KEY');
  }
}

describe('SSH public keys under fuzzing', () => {
  it('reads every valid key as old XOs and newer clients send it, recording the type inside the blob', () => {
    fc.assert(
      boundedProperty(validBlob, fc.constantFrom('', ' sugar@xo-12-34', '  '), fc.boolean(), ({ type, blob }, comment, full) => {
        const base64 = blob.toString('base64');
        expect(parsePublicKey(`${full ? `${type} ` : ''}${base64}${comment}`)).toEqual({ type, blob: base64 });
      }),
      fuzz(10_000),
    );
  }, fuzzTestTimeout());

  it('reads a key or refuses it with REGISTRY_ERR_BAD_KEY, for mutated blobs (bad lengths, cut fields, huge counts)', () => {
    fc.assert(boundedProperty(mutatedBytes(validBlob.map((k) => k.blob)), (blob) => checkOutcome(blob.toString('base64'))), fuzz(10_000));
  }, fuzzTestTimeout());

  it('reads a key or refuses it with REGISTRY_ERR_BAD_KEY, for mutated lines and values of any JSON type', () => {
    fc.assert(boundedProperty(fc.oneof(mutatedText(keyLine), fc.string({ maxLength: 100 }), fc.jsonValue()), (value) => checkOutcome(value)), fuzz(10_000));
  }, fuzzTestTimeout());
});
