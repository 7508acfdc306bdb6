import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyIdOf, readPublicKey, readSigningKey } from './keys.js';

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
const keyid = keyIdOf(publicKey);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'leases-keys-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, data: string | Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, data);
  return path;
}

describe('deployment keys', () => {
  it('take the key id from the last 32 bytes of the DER public key', () => {
    const spki = publicKey.export({ type: 'spki', format: 'der' });
    const pkcs1 = publicKey.export({ type: 'pkcs1', format: 'der' });
    expect(keyid).toBe(pkcs1.subarray(-32).toString('hex'));
    expect(keyid).toBe(spki.subarray(-32).toString('hex'));
  });

  it.each([
    ['PEM SPKI', () => publicKey.export({ type: 'spki', format: 'pem' })],
    ['PEM PKCS#1', () => publicKey.export({ type: 'pkcs1', format: 'pem' })],
    ['DER SPKI', () => publicKey.export({ type: 'spki', format: 'der' })],
    ['DER PKCS#1 (OLPC .public)', () => publicKey.export({ type: 'pkcs1', format: 'der' })],
    ['a private key (its public half)', () => privateKey.export({ type: 'pkcs8', format: 'pem' })],
  ])('read a public key from %s', async (name, data) => {
    const read = await readPublicKey(await file(`${name.replace(/\W/g, '')}.key`, data()));
    expect(read.keyid).toBe(keyid);
  });

  it.each([
    ['PEM PKCS#8', () => privateKey.export({ type: 'pkcs8', format: 'pem' })],
    ['PEM PKCS#1', () => privateKey.export({ type: 'pkcs1', format: 'pem' })],
    ['DER PKCS#1 (OLPC .private)', () => privateKey.export({ type: 'pkcs1', format: 'der' })],
  ])('read a signing key from %s', async (name, data) => {
    const read = await readSigningKey(await file(`private-${name.replace(/\W/g, '')}.key`, data()));
    expect(read.keyid).toBe(keyid);
    expect(read.privateKey.type).toBe('private');
  });

  it('refuse a missing file, garbage and non-RSA keys with LEASES_ERR_KEY_FILE', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' });
    await expect(readPublicKey(join(dir, 'absent.pem'))).rejects.toMatchObject({ code: 'LEASES_ERR_KEY_FILE', message: expect.stringContaining('cannot be read') });
    await expect(readPublicKey(await file('garbage', 'not a key'))).rejects.toMatchObject({ code: 'LEASES_ERR_KEY_FILE' });
    await expect(readPublicKey(await file('ec.pem', ec))).rejects.toMatchObject({ message: expect.stringContaining('is a ec key') });
    await expect(readSigningKey(await file('public-only.pem', publicKey.export({ type: 'spki', format: 'pem' })))).rejects.toMatchObject({ code: 'LEASES_ERR_KEY_FILE' });
  });
});
