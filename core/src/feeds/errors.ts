/** Why a feed was not taken. Each refusal keeps the last good copy serving. */
import { errorType, isSugarError, withCause } from '../errors.js';

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
  /** keys.json has the manifest's codes for the same failures, and its own words: the remedy is the root's. */
  KEYS_ROLLBACK: errorType('SERVER_ERR_FEED_ROLLBACK', 502, (url: string, offered: number, held: number) =>
    `keys.json at ${url} is version ${offered}, older than version ${held} already taken (a replayed keys.json)`),
  KEYS_EXPIRED: errorType('SERVER_ERR_FEED_EXPIRED', 502, (url: string, expires: string) =>
    `keys.json at ${url} expired at ${expires}: the root key must sign a new one (sugar-server feeds sign-keys)`),
  KEYS: errorType('SERVER_ERR_FEED_KEYS', 502, (url: string, why: string) => `signing keys at ${url} are not usable: ${why}`),
  KEY_FILE: errorType('SERVER_ERR_FEED_KEY_FILE', 500, (file: string, why: string) => `${file}: ${why}`),
  UPSTREAM_BUSY: errorType('SERVER_ERR_FEED_UPSTREAM_BUSY', 503, (url: string, seconds: number) =>
    `${url} answered 503 (maintenance or starting); asking again in ${seconds} s, not before`),
  LOCAL_WRITE: errorType('SERVER_ERR_FEED_LOCAL_WRITE', 507, (path: string, why: string) =>
    `the feed's copy could not be written at ${path}: ${why}; the last good copy stays`),
  IMPORT: errorType('SERVER_ERR_FEED_IMPORT', 400, (dir: string, why: string) => `feeds on ${dir} were not imported: ${why}`),
};

const retryAfter = new WeakMap<object, number>();

/** The upstream asked to be left alone: a 503 with `Retry-After` (seconds or an HTTP date; 60 s when absent). */
export function upstreamBusy(url: string, header: string | null, now: number): Error {
  const seconds = header === null ? NaN : /^\d+$/.test(header.trim()) ? Number(header.trim()) : Math.ceil((Date.parse(header) - now) / 1000);
  const wait = Number.isFinite(seconds) ? Math.min(Math.max(seconds, 1), 86_400) : 60;
  const error = FeedErrors.UPSTREAM_BUSY(url, wait);
  retryAfter.set(error, wait * 1000);
  return error;
}

/** How long an error says to wait before asking its upstream again, in ms (0 when it says nothing). */
export function retryAfterMs(error: unknown): number {
  return typeof error === 'object' && error !== null ? (retryAfter.get(error) ?? 0) : 0;
}

/**
 * An error from fetching or storing a feed, typed: a file-system failure here
 * (ENOSPC, EROFS…) is the local disk's, anything else untyped came from the
 * transfer (a body cut short, a reset).
 */
export function asFeedError(err: unknown, where: string): Error {
  if (isSugarError(err)) return err;
  const { code, syscall, path } = (err ?? {}) as NodeJS.ErrnoException;
  if (syscall && code) return withCause(FeedErrors.LOCAL_WRITE(path ?? where, (err as Error).message), err);
  return withCause(FeedErrors.DOWNLOAD(where, (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message), err);
}
