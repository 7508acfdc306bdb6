/**
 * Conditional requests (RFC 9110 §13) against a file's validators: a strong
 * ETag and a Last-Modified date. `If-None-Match` wins over `If-Modified-Since`;
 * `If-Range` keeps a range request only while the file is the one the client
 * started reading (an ETag compared strongly, or exactly the Last-Modified date).
 */

/** What identifies one version of a file. */
export interface Validators {
  /** A strong entity tag, quotes included. */
  readonly etag: string;
  /** An HTTP date (whole seconds). */
  readonly lastModified: string;
}

/** The request headers that make a GET conditional ('' when absent, as koa's `ctx.get` gives them). */
export interface ConditionalHeaders {
  readonly ifNoneMatch: string;
  readonly ifModifiedSince: string;
}

/** An HTTP date for a time in milliseconds. */
export function httpDate(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toUTCString();
}

/** True when a GET or HEAD can be answered 304 Not Modified. */
export function isNotModified(headers: ConditionalHeaders, validators: Validators): boolean {
  if (headers.ifNoneMatch) {
    const tags = headers.ifNoneMatch.split(',').map((tag) => tag.trim());
    // Weak comparison: W/"x" matches "x".
    return tags.includes('*') || tags.some((tag) => opaque(tag) === opaque(validators.etag));
  }
  if (headers.ifModifiedSince) {
    const since = Date.parse(headers.ifModifiedSince);
    return !Number.isNaN(since) && Date.parse(validators.lastModified) <= since;
  }
  return false;
}

/** True when a `Range` may be honoured: no `If-Range`, or one that still names this file. */
export function rangeStillValid(ifRange: string, validators: Validators): boolean {
  if (!ifRange) return true;
  const value = ifRange.trim();
  // An entity tag starts with a quote (or W/, which never matches strongly); anything else is a date.
  if (value.startsWith('"') || value.startsWith('W/')) return value === validators.etag;
  const date = Date.parse(value);
  return !Number.isNaN(date) && date === Date.parse(validators.lastModified);
}

function opaque(tag: string): string {
  return tag.startsWith('W/') ? tag.slice(2) : tag;
}
