/**
 * `keys.json`: the online signing keys, named by the deployment's offline root
 * key. Schools pin only the root key (`[feeds] trusted_keys`); the Mothership
 * rotates its online key by publishing a new `keys.json` signed by the root.
 *
 *   {"type":"sugar-server-feed-keys","version":2,"expires":"…",
 *    "keys":[{"keyid":"<hex>","public":"<base64>","expires":"…","comment":"…"}]}
 */
import { FeedErrors } from './errors.js';
import { keyIdOf, publicKeyBase64, publicKeyFromRaw, type PublicFeedKey } from './signing.js';

export const KEYS_FILE = 'keys.json';
const TYPE = 'sugar-server-feed-keys';
const MAX_KEYS = 32;

export interface OnlineKey extends PublicFeedKey {
  /** After this instant (ms) the key signs nothing. */
  readonly expiresAt: number;
}

export interface KeysDocument {
  readonly version: number;
  readonly expires: string;
  readonly keys: readonly OnlineKey[];
}

export function makeKeysDocument(version: number, expires: Date, keys: readonly { key: PublicFeedKey; expires: Date }[]): string {
  return `${JSON.stringify(
    {
      type: TYPE,
      version,
      expires: expires.toISOString(),
      keys: keys.map(({ key, expires: keyExpires }) => ({
        keyid: key.id,
        public: publicKeyBase64(key.key),
        expires: keyExpires.toISOString(),
        comment: key.comment,
      })),
    },
    null,
    2,
  )}\n`;
}

export function parseKeysDocument(bytes: Uint8Array, url: string): KeysDocument {
  const bad = (why: string) => FeedErrors.KEYS(url, why);
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>;
  } catch {
    throw bad('not JSON');
  }
  if (typeof doc !== 'object' || doc === null || doc.type !== TYPE) throw bad(`"type" must be "${TYPE}"`);
  const { version, expires, keys } = doc;
  if (!(typeof version === 'number' && Number.isSafeInteger(version) && version >= 1)) throw bad('"version" must be a whole number from 1');
  if (typeof expires !== 'string' || Number.isNaN(Date.parse(expires))) throw bad('"expires" must be an ISO date');
  if (!Array.isArray(keys) || keys.length > MAX_KEYS) throw bad(`"keys" must be a list of at most ${MAX_KEYS} keys`);
  const online = keys.map((entry: unknown, i): OnlineKey => {
    const { keyid, public: base64, expires: keyExpires, comment } = (entry ?? {}) as Record<string, unknown>;
    const key = typeof base64 === 'string' && /^[A-Za-z0-9+/]+={0,2}$/.test(base64) ? publicKeyFromRaw(Buffer.from(base64, 'base64')) : undefined;
    if (!key) throw bad(`keys[${i}].public must be a base64 ed25519 public key`);
    if (keyid !== keyIdOf(key)) throw bad(`keys[${i}].keyid is not the sha256 of its key`);
    if (typeof keyExpires !== 'string' || Number.isNaN(Date.parse(keyExpires))) throw bad(`keys[${i}].expires must be an ISO date`);
    return { id: keyid, key, comment: typeof comment === 'string' ? comment : '', expiresAt: Date.parse(keyExpires) };
  });
  return { version, expires, keys: online };
}
