/**
 * HTTP plumbing every protocol client shares: building a URL on the server's
 * base, a bounded request, and turning network failures into coded errors.
 */
import { SugaroidErrors } from '../errors.js';
import { deadline } from './deadline.js';

/** Options every HTTP client call takes. */
export interface RequestOptions {
  /** Give up after this long, body included; 5000 ms unless given. */
  timeoutMs?: number;
}

/** The default time a client waits for a whole answer. */
export const DEFAULT_TIMEOUT_MS = 5000;

/**
 * Resolve `path` (no leading slash) against the server URL, keeping any path
 * prefix the URL has (a server behind a reverse proxy), so
 * `http://h:5080` + `status` is `http://h:5080/status`.
 */
export function serverUrl(base: string, path: string): URL {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw SugaroidErrors.BAD_SERVER_URL(base, 'not an absolute URL (e.g. http://schoolserver:5080)');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw SugaroidErrors.BAD_SERVER_URL(base, `${url.protocol} is not http: or https:`);
  if (url.username || url.password) throw SugaroidErrors.BAD_SERVER_URL(base, 'credentials in the URL are not supported');
  url.search = '';
  url.hash = '';
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return new URL(path, url);
}

/** An answer with its body read as text. */
export interface TextAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
}

/** Send a request and read the whole body, within `timeoutMs`. Redirects are answers, not followed, unless `init` says so. */
export async function requestText(url: URL, init: RequestInit = {}, options: RequestOptions = {}): Promise<TextAnswer> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  // The answer must begin within the timeout (judged after waiting I/O is read, see deadline.ts); its body then gets as long again.
  const answer = deadline(timeoutMs);
  const whole = deadline(2 * timeoutMs);
  try {
    const response = await fetch(url, { redirect: 'manual', ...init, signal: AbortSignal.any([answer.signal, whole.signal]) });
    answer.clear();
    const body = await response.text();
    return { status: response.status, headers: response.headers, body };
  } catch (err) {
    if (answer.signal.aborted || whole.signal.aborted) throw SugaroidErrors.TIMEOUT(url.href, timeoutMs);
    throw Object.assign(SugaroidErrors.UNREACHABLE(url.href, networkReason(err)), { cause: err });
  } finally {
    answer.clear();
    whole.clear();
  }
}

/** Pull a server's `{error: {code, message}}` body apart, for error messages. */
export function serverErrorDetail(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown; message?: unknown } };
    const { code, message } = parsed.error ?? {};
    if (typeof message === 'string') return typeof code === 'string' ? `${code}: ${message}` : message;
  } catch {
    // Not JSON: the status alone says enough.
  }
  return undefined;
}

/** fetch hides the real reason (ECONNREFUSED, ENOTFOUND) in `cause`. */
function networkReason(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause && typeof cause.message === 'string') return cause.message;
  return err instanceof Error ? err.message : String(err);
}
