/**
 * Deployment keys, read in the forms they are found in:
 *  - OLPC's own files: bios-crypto `makekey.c` writes `<name>.public` and
 *    `<name>.private` as raw DER from libtomcrypt `rsa_export` (PKCS#1);
 *  - PEM: `PUBLIC KEY` (SPKI), `RSA PUBLIC KEY` (PKCS#1), `PRIVATE KEY`
 *    (PKCS#8), `RSA PRIVATE KEY` (PKCS#1); DER SPKI and PKCS#8 too.
 *
 * The key id in a `sig01:` line is the last 32 bytes of the public key file, in
 * hex (bios-crypto `sig01.c`: `for (i = buflen-32; ...) printf("%02x")`), which
 * ends in `0203010001` for e = 65537. SPKI wraps the PKCS#1 structure at its end,
 * so both DER forms give the same 64 hex digits.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { LeasesErrors } from './errors.js';

/** A public key with the id that leases signed by it carry. */
export interface LeaseKey {
  readonly key: KeyObject;
  /** Last 64 hex digits of the DER public key. */
  readonly keyid: string;
}

/** A private key for signing, with its public half's id. */
export interface SigningKey extends LeaseKey {
  readonly privateKey: KeyObject;
}

/** The key id of an RSA public key: the last 32 bytes of its DER form, hex. */
export function keyIdOf(key: KeyObject): string {
  return key.export({ type: 'pkcs1', format: 'der' }).subarray(-32).toString('hex');
}

/** Read a public key (PEM or DER, SPKI or PKCS#1; a private key file gives its public half). */
export async function readPublicKey(file: string): Promise<LeaseKey> {
  const key = toRsa(file, publicKeyFrom(await readKeyFile(file)));
  return { key, keyid: keyIdOf(key) };
}

/** Read a private key for signing (PEM or DER, PKCS#8 or PKCS#1). */
export async function readSigningKey(file: string): Promise<SigningKey> {
  const privateKey = toRsa(file, privateKeyFrom(await readKeyFile(file)));
  const key = createPublicKey(privateKey);
  return { key, keyid: keyIdOf(key), privateKey };
}

async function readKeyFile(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw Object.assign(LeasesErrors.KEY_FILE(file, `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`), { cause: err });
  }
}

/** The first form Node's parser accepts; undefined when none does. */
function firstThatParses(attempts: readonly (() => KeyObject)[]): KeyObject | undefined {
  for (const attempt of attempts) {
    try {
      return attempt();
    } catch {
      // Not this form: try the next one.
    }
  }
  return undefined;
}

function publicKeyFrom(data: Buffer): KeyObject | undefined {
  if (isPem(data)) return firstThatParses([() => createPublicKey(data)]);
  return firstThatParses([
    () => createPublicKey({ key: data, format: 'der', type: 'pkcs1' }),
    () => createPublicKey({ key: data, format: 'der', type: 'spki' }),
    () => createPublicKey(createPrivateKey({ key: data, format: 'der', type: 'pkcs1' })),
    () => createPublicKey(createPrivateKey({ key: data, format: 'der', type: 'pkcs8' })),
  ]);
}

function privateKeyFrom(data: Buffer): KeyObject | undefined {
  if (isPem(data)) return firstThatParses([() => createPrivateKey(data)]);
  return firstThatParses([
    () => createPrivateKey({ key: data, format: 'der', type: 'pkcs1' }),
    () => createPrivateKey({ key: data, format: 'der', type: 'pkcs8' }),
  ]);
}

function toRsa(file: string, key: KeyObject | undefined): KeyObject {
  if (!key) throw LeasesErrors.KEY_FILE(file, 'is not a key in PEM or DER (SPKI, PKCS#1 or PKCS#8)');
  if (key.asymmetricKeyType !== 'rsa') throw LeasesErrors.KEY_FILE(file, `is a ${key.asymmetricKeyType} key; leases are signed with RSA`);
  return key;
}

function isPem(data: Buffer): boolean {
  return data.subarray(0, 64).toString('latin1').includes('-----BEGIN ');
}
