/**
 * What a mirror believes. With `[feeds] trusted_keys` (the deployment's root
 * keys) a manifest counts only when a trusted key signed its exact bytes, it
 * has not expired, and its version does not go back; like TUF's timestamp and
 * snapshot roles folded into one signed file per feed, with the root naming
 * the online keys in `keys.json`.
 */
import { FeedErrors } from './errors.js';
import type { KeysDocument } from './keys.js';
import { parseKeysDocument } from './keys.js';
import { findValidSignature, type PublicFeedKey } from './signing.js';
import type { FeedManifest } from './types.js';

/** The root keys a school pins; null when feeds are taken unauthenticated. */
export type TrustRoots = ReadonlyMap<string, PublicFeedKey> | null;

export function trustRoots(keys: readonly PublicFeedKey[] | null): TrustRoots {
  return keys ? new Map(keys.map((key) => [key.id, key])) : null;
}

/**
 * Check a `keys.json` against the roots: signed by a root, not expired, not
 * older than the one held.
 */
export function verifyKeys(
  roots: NonNullable<TrustRoots>,
  bytes: Uint8Array,
  signature: Uint8Array | null,
  held: KeysDocument | undefined,
  now: number,
  url: string,
): KeysDocument {
  if (!signature) throw FeedErrors.KEYS(url, 'no keys.json.sig beside it');
  const signer = findValidSignature(bytes, signature, roots);
  if (typeof signer === 'string') throw FeedErrors.KEYS(url, `not signed by a root key: ${signer}`);
  const doc = parseKeysDocument(bytes, url);
  if (held && doc.version < held.version) throw FeedErrors.KEYS_ROLLBACK(url, doc.version, held.version);
  if (Date.parse(doc.expires) <= now) throw FeedErrors.KEYS_EXPIRED(url, doc.expires);
  return doc;
}

/** Who may sign a manifest now: the roots, and the online keys a current keys.json names. */
export function manifestSigners(roots: NonNullable<TrustRoots>, keys: KeysDocument | undefined, now: number): Map<string, PublicFeedKey> {
  const signers = new Map(roots);
  if (keys && Date.parse(keys.expires) > now) {
    for (const key of keys.keys) if (key.expiresAt > now) signers.set(key.id, key);
  }
  return signers;
}

/** The key that signed `bytes`, or the typed refusal. */
export function verifyManifestSignature(
  bytes: Uint8Array,
  signature: Uint8Array | null,
  signers: ReadonlyMap<string, PublicFeedKey>,
  url: string,
): PublicFeedKey {
  if (!signature) throw FeedErrors.UNSIGNED(url);
  const signer = findValidSignature(bytes, signature, signers);
  if (typeof signer === 'string') throw FeedErrors.SIGNATURE(url, signer);
  return signer;
}

/**
 * A signed manifest must say its version and expiry; a lower version than the
 * one held is a rollback, an expired one is refused. Resolves `same` for the
 * version already held (nothing to do).
 */
export function checkFreshness(manifest: FeedManifest, heldVersion: number | null, now: number, url: string): 'new' | 'same' {
  if (manifest.version === undefined) throw FeedErrors.BAD_MANIFEST(url, 'a signed manifest must carry "version"');
  if (manifest.expires === undefined) throw FeedErrors.BAD_MANIFEST(url, 'a signed manifest must carry "expires"');
  if (heldVersion !== null && manifest.version < heldVersion) throw FeedErrors.ROLLBACK(url, manifest.version, heldVersion);
  if (Date.parse(manifest.expires) <= now) throw FeedErrors.EXPIRED(url, manifest.expires);
  return heldVersion !== null && manifest.version === heldVersion ? 'same' : 'new';
}
