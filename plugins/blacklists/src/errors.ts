/**
 * Every error the blacklists plugin raises, each with a stable
 * `BLACKLISTS_ERR_*` code, so the admin API, the CLI, the helper and compile
 * reports tell failures apart by code.
 */
import { errorType, isSugarError, SugarError, type ErrorType } from 'sugar-server';

/**
 * {@link errorType} for a 5xx error whose code and message clients see: the
 * core hides those of other 5xx errors behind SERVER_ERR_INTERNAL, but these
 * say what state the lists are in (none yet, a compile that failed), which
 * is what the caller needs to know, and carry no secrets.
 */
function shownErrorType<A extends unknown[]>(code: string, status: number, format: (...args: A) => string): ErrorType<A> {
  const make = (...args: A) => new SugarError(code, format(...args), { status, expose: true });
  return Object.assign(make, { code, is: (error: unknown): error is SugarError => isSugarError(error) && error.code === code });
}

/** Every `BLACKLISTS_ERR_*` code, by name; the plugin's README lists the same codes. */
export const BlacklistsErrors = {
  /** The configured or uploaded source cannot be read as lists. */
  BAD_SOURCE: errorType('BLACKLISTS_ERR_BAD_SOURCE', 400, (where: string, why: string) => `${where}: ${why}`),
  /** An archive that is not a gzipped tar, or holds something unsafe. */
  BAD_ARCHIVE: errorType('BLACKLISTS_ERR_BAD_ARCHIVE', 400, (why: string) => `not a usable blacklists archive: ${why}`),
  /** An archive that unpacks to more than `archive_limit`. */
  ARCHIVE_TOO_LARGE: errorType('BLACKLISTS_ERR_ARCHIVE_TOO_LARGE', 413, (limit: number) =>
    `the archive unpacks to more than ${limit} bytes ([blacklists] archive_limit)`),
  /** One line of a list that cannot be an entry; reported, never fatal. */
  BAD_LINE: errorType('BLACKLISTS_ERR_BAD_LINE', 400, (file: string, line: number, why: string) => `${file} line ${line}: ${why}`),
  /** An expression that is not a usable regular expression, or could take too long; reported and left out. */
  BAD_EXPRESSION: errorType('BLACKLISTS_ERR_BAD_EXPRESSION', 400, (file: string, line: number, why: string) =>
    `${file} line ${line}: ${why}`),
  /** Compiling stopped; the index in use stays. */
  COMPILE_FAILED: shownErrorType('BLACKLISTS_ERR_COMPILE_FAILED', 500, (why: string) => `compiling the lists failed: ${why}`),
  /** The service stopped (a reload, a shutdown) while compiling; the next start compiles again. */
  COMPILE_STOPPED: shownErrorType('BLACKLISTS_ERR_COMPILE_STOPPED', 503, () => 'compiling the lists was cut short: the service is stopping'),
  /** An index file that is not one this version wrote, or is damaged. */
  BAD_INDEX: shownErrorType('BLACKLISTS_ERR_BAD_INDEX', 500, (file: string, why: string) => `index ${file}: ${why}`),
  /** Nothing compiled yet, so nothing can be checked. */
  NO_INDEX: shownErrorType('BLACKLISTS_ERR_NO_INDEX', 503, () => 'no lists are compiled yet'),
  /** A check without a URL, or with one that holds no host. */
  BAD_URL: errorType('BLACKLISTS_ERR_BAD_URL', 400, (url: string) => `"${url}" is not a URL with a host`),
  /** An upload to a server that takes its lists from the Mothership. */
  FOLLOWS_UPSTREAM: errorType('BLACKLISTS_ERR_FOLLOWS_UPSTREAM', 409, (upstream: string) =>
    `this server takes its lists from ${upstream} ([blacklists] upstream); upload them there`),
  /** An export format other than dnsmasq, unbound or rpz. */
  BAD_FORMAT: errorType('BLACKLISTS_ERR_BAD_FORMAT', 400, (format: string) => `unknown export format "${format}" (dnsmasq, unbound or rpz)`),
} as const;
