/**
 * Public-key authentication against the registry: the SSH user is the
 * laptop's serial, and the only key it may use is the one the laptop
 * registered. The offered key blob must equal the registered blob byte for
 * byte; when the client signs, the signature is checked with that key
 * (ssh2 hands over the signed data and the hash the client chose, e.g.
 * rsa-sha2-256 for an RSA key).
 */
import ssh2 from 'ssh2';
import type { LaptopRegistry } from 'sugar-server-registry';
import { isSerial } from 'sugar-server-registry';

/** What the client offered, as ssh2 reports a publickey attempt. */
export interface KeyOffer {
  readonly username: string;
  readonly key: { readonly algo: string; readonly data: Buffer };
  /** Absent when the client only asks whether this key would do. */
  readonly signature?: Buffer;
  readonly blob?: Buffer;
  readonly hashAlgo?: string;
}

/** `accept` when the key is the laptop's (and signed, when a signature came); otherwise why not, for the log. */
export type KeyVerdict = { readonly accept: true } | { readonly accept: false; readonly reason: string };

export function checkKeyOffer(registry: LaptopRegistry, offer: KeyOffer): KeyVerdict {
  if (!isSerial(offer.username)) return { accept: false, reason: 'the user name is not a laptop serial' };
  const laptop = registry.get(offer.username);
  if (!laptop) return { accept: false, reason: 'the laptop is not registered' };
  if (!Buffer.from(laptop.pubkey, 'base64').equals(offer.key.data)) return { accept: false, reason: 'the key is not the one the laptop registered' };
  if (!offer.signature || !offer.blob) return { accept: true };
  const key = ssh2.utils.parseKey(offer.key.data);
  if (key instanceof Error) return { accept: false, reason: `the registered key cannot be read: ${key.message}` };
  return key.verify(offer.blob, offer.signature, offer.hashAlgo) === true
    ? { accept: true }
    : { accept: false, reason: 'the signature does not verify' };
}
