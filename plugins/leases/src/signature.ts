/**
 * Lease signatures: RSASSA-PSS with SHA-256, MGF1-SHA-256 and an 8-byte salt.
 *
 * Verified in bios-crypto: `sig01.c` signs with libtomcrypt
 * `rsa_sign_hash(..., find_hash(hashname), 8, &rsakey)`, which is
 * `rsa_sign_hash_ex(..., LTC_PKCS_1_PSS, ...)` (`tomcrypt_pk.h`) with salt
 * length 8; `verify.c` checks with `rsa_verify_hash(..., 8, ...)`, and libtomcrypt's
 * PSS uses the same hash for MGF1. A salt of any other length does not verify on
 * the XO, so we sign and check with exactly 8.
 *
 * The signed string is `SN:UUID:K:EXP`, but a lease line does not carry the
 * UUID. Without it the server can still prove that the deployment key made the
 * signature (the PSS encoding recovered with the public key is well formed, which
 * nobody without the private key can arrange); with the UUID (from the registry)
 * it checks the whole statement, expiry included.
 */
import { constants, createHash, publicDecrypt, sign, timingSafeEqual, verify } from 'node:crypto';
import { LeasesErrors } from './errors.js';
import type { LeaseKey, SigningKey } from './keys.js';
import { formatLease, signedText, type Lease } from './lease-line.js';

/** The PSS salt length the XO expects. */
export const PSS_SALT_LENGTH = 8;
const HASH = 'sha256';
const HASH_LENGTH = 32;

/** How far a lease was checked. */
export type LeaseCheck =
  /** Signature checked against `SN:UUID:K:EXP` with the laptop's UUID. */
  | { readonly ok: true; readonly checked: 'full' }
  /** Made with the deployment key; without the UUID, what it states is not checked. */
  | { readonly ok: true; readonly checked: 'key' }
  | { readonly ok: false; readonly code: string; readonly reason: string };

/** Sign a lease for `serial`/`uuid` until `expires` (`YYYYMMDDTHHMMSSZ`); the line ends in a newline. */
export function signLease(serial: string, uuid: string, expires: string, key: SigningKey): string {
  const signature = sign(HASH, Buffer.from(signedText(serial, uuid, expires)), {
    key: key.privateKey,
    padding: constants.RSA_PKCS1_PSS_PADDING,
    saltLength: PSS_SALT_LENGTH,
  });
  return formatLease(serial, expires, { hash: HASH, keyid: key.keyid, signature: signature.toString('hex') });
}

/** Check a lease against the deployment key, fully when the laptop's `uuid` is known. */
export function checkLease(lease: Lease, key: LeaseKey, uuid?: string): LeaseCheck {
  const refuse = (error: { code: string; message: string }): LeaseCheck => ({ ok: false, code: error.code, reason: error.message });
  const sig = lease.sig01;
  if (!sig) return refuse(LeasesErrors.BAD_SIGNATURE(lease.serial, 'not a sig01 signature (delegated leases cannot be checked here)'));
  if (sig.hash !== HASH) return refuse(LeasesErrors.BAD_SIGNATURE(lease.serial, `hash "${sig.hash}" is not sha256`));
  if (sig.keyid !== key.keyid) return refuse(LeasesErrors.WRONG_KEY(lease.serial, sig.keyid, key.keyid));
  const signature = Buffer.from(sig.signature, 'hex');

  if (uuid !== undefined) {
    // The XO signs with its U# (upper case); the registry keeps the uuid as the laptop sent it.
    const spellings = new Set([uuid, uuid.toUpperCase(), uuid.toLowerCase()]);
    const good = [...spellings].some((spelling) => verify(HASH, Buffer.from(signedText(lease.serial, spelling, lease.expires)), {
      key: key.key,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: PSS_SALT_LENGTH,
    }, signature));
    return good ? { ok: true, checked: 'full' } : refuse(LeasesErrors.BAD_SIGNATURE(lease.serial,
      `it does not sign ${lease.serial}:${uuid}:K:${lease.expires} (uuid from the registry)`));
  }
  return pssEncodingIsWellFormed(signature, key)
    ? { ok: true, checked: 'key' }
    : refuse(LeasesErrors.BAD_SIGNATURE(lease.serial, 'it was not made with the deployment key'));
}

/**
 * EMSA-PSS-VERIFY (RFC 8017 9.1.2) up to the salt, without the message: the
 * recovered encoding must end in 0xbc, its data block must unmask to zeros, 0x01
 * and an 8-byte salt. A signature from any other key (or a damaged one) fails.
 */
function pssEncodingIsWellFormed(signature: Buffer, key: LeaseKey): boolean {
  const modulusBits = key.key.asymmetricKeyDetails?.modulusLength;
  if (!modulusBits) return false;
  let recovered: Buffer;
  try {
    recovered = publicDecrypt({ key: key.key, padding: constants.RSA_NO_PADDING }, signature);
  } catch {
    return false;
  }
  const emBits = modulusBits - 1;
  const emLength = Math.ceil(emBits / 8);
  if (recovered.subarray(0, recovered.length - emLength).some((byte) => byte !== 0)) return false;
  const em = recovered.subarray(recovered.length - emLength);
  if (emLength < HASH_LENGTH + PSS_SALT_LENGTH + 2 || em[emLength - 1] !== 0xbc) return false;

  const dbLength = emLength - HASH_LENGTH - 1;
  const maskedDb = em.subarray(0, dbLength);
  const h = em.subarray(dbLength, dbLength + HASH_LENGTH);
  const unusedBits = 8 * emLength - emBits;
  const topMask = 0xff >> unusedBits;
  if ((maskedDb[0]! & ~topMask) !== 0) return false;

  const db = mgf1(h, dbLength);
  for (let i = 0; i < dbLength; i++) db[i] = db[i]! ^ maskedDb[i]!;
  db[0] = db[0]! & topMask;
  const separator = dbLength - PSS_SALT_LENGTH - 1;
  const zeros = Buffer.alloc(separator);
  return timingSafeEqual(db.subarray(0, separator), zeros) && db[separator] === 0x01;
}

/** MGF1 with SHA-256 (RFC 8017 B.2.1). */
function mgf1(seed: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  const counter = Buffer.alloc(4);
  for (let offset = 0, i = 0; offset < length; offset += HASH_LENGTH, i++) {
    counter.writeUInt32BE(i);
    createHash(HASH).update(seed).update(counter).digest().copy(out, offset);
  }
  return out;
}
