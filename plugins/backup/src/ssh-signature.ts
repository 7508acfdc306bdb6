/**
 * The second half of a laptop's public-key login, checked where the SSH
 * transport runs: when the client signs, the signature must verify with the
 * offered key (which the registry has already said is the laptop's, see
 * ssh-auth.ts). ssh2 hands over the signed data and the hash the client chose
 * (e.g. rsa-sha2-256 for an RSA key).
 */
import ssh2 from 'ssh2';

/** What the client offered, as ssh2 reports a publickey attempt. */
export interface KeyOffer {
  readonly username: string;
  readonly key: { readonly algo: string; readonly data: Buffer };
  /** Absent when the client only asks whether this key would do. */
  readonly signature?: Buffer;
  readonly blob?: Buffer;
  readonly hashAlgo?: string;
}

/** `accept`, or why not, for the log. */
export type KeyVerdict = { readonly accept: true } | { readonly accept: false; readonly reason: string };

/** Accept an offer without a signature (the client asks whether the key would do), or one whose signature verifies. */
export function signatureVerdict(offer: KeyOffer): KeyVerdict {
  if (!offer.signature || !offer.blob) return { accept: true };
  const key = ssh2.utils.parseKey(offer.key.data);
  if (key instanceof Error) return { accept: false, reason: `the registered key cannot be read: ${key.message}` };
  return key.verify(offer.blob, offer.signature, offer.hashAlgo) === true
    ? { accept: true }
    : { accept: false, reason: 'the signature does not verify' };
}
