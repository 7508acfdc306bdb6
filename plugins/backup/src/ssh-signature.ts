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
  const signature = offer.key.algo === 'ssh-dss' ? minimalDer(offer.signature) : offer.signature;
  return key.verify(offer.blob, signature, offer.hashAlgo) === true
    ? { accept: true }
    : { accept: false, reason: 'the signature does not verify' };
}

/**
 * A DSA signature travels as r and s of 20 bytes each; ssh2 turns them into DER
 * for OpenSSL but drops only one leading zero byte, so an r or s below 2^144
 * (about one signature in 30,000) arrives as a non-minimal INTEGER, which
 * OpenSSL refuses: that old XO's login failed now and then. Re-encoded minimally
 * here; anything that is not a SEQUENCE of two short INTEGERs is left as it is.
 */
function minimalDer(der: Buffer): Buffer {
  if (der.length < 2 || der[0] !== 0x30 || der[1] !== der.length - 2) return der;
  const integers: Buffer[] = [];
  for (let at = 2; at < der.length;) {
    const length = der[at + 1];
    if (der[at] !== 0x02 || length === undefined || length > 0x7f || at + 2 + length > der.length) return der;
    let value = der.subarray(at + 2, at + 2 + length);
    while (value.length > 1 && value[0] === 0 && !(value[1]! & 0x80)) value = value.subarray(1);
    integers.push(value);
    at += 2 + length;
  }
  if (integers.length !== 2) return der;
  const body = Buffer.concat(integers.flatMap((value) => [Buffer.of(0x02, value.length), value]));
  return Buffer.concat([Buffer.of(0x30, body.length), body]);
}
