/** Why a feed was not taken. Each refusal keeps the last good copy serving. */
import { errorType } from '../errors.js';

export const FeedErrors = {
  BAD_MANIFEST: errorType('SERVER_ERR_FEED_MANIFEST', 502, (url: string, why: string) => `feed manifest at ${url} is not usable: ${why}`),
  DOWNLOAD: errorType('SERVER_ERR_FEED_DOWNLOAD', 502, (url: string, why: string) => `feed file ${url} could not be fetched: ${why}`),
  DIGEST: errorType('SERVER_ERR_FEED_DIGEST', 502, (url: string, why: string) => `feed file ${url} does not match its manifest: ${why}`),
  UNSIGNED: errorType('SERVER_ERR_FEED_UNSIGNED', 502, (url: string) =>
    `feed manifest at ${url} carries no signature, and [feeds] trusted_keys asks for one`),
  SIGNATURE: errorType('SERVER_ERR_FEED_SIGNATURE', 502, (url: string, why: string) => `feed manifest at ${url} is not signed by a trusted key: ${why}`),
  ROLLBACK: errorType('SERVER_ERR_FEED_ROLLBACK', 502, (url: string, offered: number, held: number) =>
    `feed manifest at ${url} is version ${offered}, older than version ${held} already applied (a replayed manifest)`),
  EXPIRED: errorType('SERVER_ERR_FEED_EXPIRED', 502, (url: string, expires: string) =>
    `feed manifest at ${url} expired at ${expires}: the publisher has not re-signed it (frozen or cut off)`),
  KEYS: errorType('SERVER_ERR_FEED_KEYS', 502, (url: string, why: string) => `signing keys at ${url} are not usable: ${why}`),
  KEY_FILE: errorType('SERVER_ERR_FEED_KEY_FILE', 500, (file: string, why: string) => `${file}: ${why}`),
  IMPORT: errorType('SERVER_ERR_FEED_IMPORT', 400, (dir: string, why: string) => `feeds on ${dir} were not imported: ${why}`),
};
