import { constants, generateKeyPairSync, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { keyIdOf, type SigningKey } from './keys.js';
import { parseLease, signedText } from './lease-line.js';
import { checkLease, PSS_SALT_LENGTH, signLease } from './signature.js';

function makeKey(bits = 2048): SigningKey {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return { key: publicKey, privateKey, keyid: keyIdOf(publicKey) };
}

const deployment = makeKey();
const other = makeKey();
const SN = 'SHC005007B7';
const UUID = '1273E0EC-AEF1-9FF6-45B2-FB706DC24B8D';
const EXP = '20300101T000000Z';

describe('signLease', () => {
  it('prints the act01 line with sha256, the key id and the signature in hex', () => {
    const line = signLease(SN, UUID, EXP, deployment);
    expect(line).toMatch(new RegExp(`^act01: ${SN} K ${EXP} sig01: sha256 ${deployment.keyid} [0-9a-f]{512}\n$`));
    expect(deployment.keyid).toMatch(/^[0-9a-f]{54}0203010001$/);
  });

  it('signs SN:UUID:K:EXP with RSASSA-PSS, SHA-256 and an 8-byte salt', () => {
    const lease = parseLease(signLease(SN, UUID, EXP, deployment), 'signed');
    const signature = Buffer.from(lease.sig01!.signature, 'hex');
    const options = { key: deployment.key, padding: constants.RSA_PKCS1_PSS_PADDING };
    expect(verify('sha256', Buffer.from(signedText(SN, UUID, EXP)), { ...options, saltLength: PSS_SALT_LENGTH }, signature)).toBe(true);
    expect(verify('sha256', Buffer.from(signedText(SN, UUID, EXP)), { ...options, saltLength: 32 }, signature)).toBe(false);
  });
});

describe('checkLease', () => {
  const good = parseLease(signLease(SN, UUID, EXP, deployment), 'good');

  it('checks the whole statement when the UUID is known', () => {
    expect(checkLease(good, deployment, UUID)).toEqual({ ok: true, checked: 'full' });
    const wrongUuid = checkLease(good, deployment, '00000000-0000-0000-0000-000000000000');
    expect(wrongUuid).toMatchObject({ ok: false, code: 'LEASES_ERR_BAD_SIGNATURE' });
  });

  it('matches the registered UUID whatever its case (XOs sign their U# in upper case)', () => {
    expect(checkLease(good, deployment, UUID.toLowerCase())).toEqual({ ok: true, checked: 'full' });
  });

  it('without the UUID, still tells the deployment key\'s signatures from others', () => {
    expect(checkLease(good, deployment)).toEqual({ ok: true, checked: 'key' });
    const forged = parseLease(signLease(SN, UUID, EXP, { ...other, keyid: deployment.keyid }), 'forged');
    expect(checkLease(forged, deployment)).toMatchObject({ ok: false, code: 'LEASES_ERR_BAD_SIGNATURE', reason: expect.stringContaining('not made with the deployment key') });
  });

  it('refuses a damaged signature', () => {
    const hex = good.sig01!.signature;
    const flipped = `${hex.slice(0, 100)}${hex[100] === '0' ? '1' : '0'}${hex.slice(101)}`;
    const bad = parseLease(good.text.replace(hex, flipped), 'bad');
    expect(checkLease(bad, deployment)).toMatchObject({ ok: false, code: 'LEASES_ERR_BAD_SIGNATURE' });
    expect(checkLease(bad, deployment, UUID)).toMatchObject({ ok: false, code: 'LEASES_ERR_BAD_SIGNATURE' });
    const short = parseLease(good.text.replace(hex, hex.slice(2)), 'short');
    expect(checkLease(short, deployment)).toMatchObject({ ok: false, code: 'LEASES_ERR_BAD_SIGNATURE' });
  });

  it('refuses a lease signed with another key as WRONG_KEY, naming both ids', () => {
    const foreign = parseLease(signLease(SN, UUID, EXP, other), 'foreign');
    const result = checkLease(foreign, deployment, UUID);
    expect(result).toMatchObject({ ok: false, code: 'LEASES_ERR_WRONG_KEY' });
    expect(!result.ok && result.reason).toContain(other.keyid);
  });

  it('refuses a tampered expiry when the UUID is known', () => {
    const later = parseLease(good.text.replace(EXP, '20990101T000000Z'), 'tampered');
    expect(checkLease(later, deployment, UUID)).toMatchObject({ ok: false, code: 'LEASES_ERR_BAD_SIGNATURE' });
  });

  it('refuses delegated leases it cannot check', () => {
    const delegated = parseLease(`act01: ${SN} K ${EXP} sig02: sha256 x y z\n`, 'delegated');
    expect(checkLease(delegated, deployment)).toMatchObject({ ok: false, code: 'LEASES_ERR_BAD_SIGNATURE' });
  });

  it('handles a modulus whose encoding is one byte shorter than the key (bits = 8k + 1)', () => {
    const odd = makeKey(1025);
    const lease = parseLease(signLease(SN, UUID, EXP, odd), 'odd');
    expect(checkLease(lease, odd)).toEqual({ ok: true, checked: 'key' });
    expect(checkLease(lease, odd, UUID)).toEqual({ ok: true, checked: 'full' });
  });
});
