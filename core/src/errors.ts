/**
 * Errors are data with stable codes: `<OWNER>_ERR_<WHAT>`. Code, HTTP status and
 * whether the client may read the message travel with the error, so callers never
 * have to match on message text.
 */

/** Survives two copies of this package in one process (a plugin bundling its own). */
const brand = Symbol.for('sugar-server.error');

export interface SugarErrorOptions {
  /** HTTP status when this error reaches a client; 500 if unset. */
  status?: number;
  /** Whether a client may see the message; defaults to `status < 500`. */
  expose?: boolean;
  cause?: unknown;
}

export class SugarError extends Error {
  readonly code: string;
  readonly status: number;
  readonly expose: boolean;

  constructor(code: string, message: string, options: SugarErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SugarError';
    this.code = code;
    this.status = options.status ?? 500;
    this.expose = options.expose ?? this.status < 500;
    Object.defineProperty(this, brand, { value: true });
  }
}

export function isSugarError(value: unknown): value is SugarError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}

/** A constructor for one error code: `const E = errorType('X_ERR_Y', 400, (a: string) => ...)`. */
export interface ErrorType<A extends unknown[]> {
  (...args: A): SugarError;
  readonly code: string;
  /** True when `error` was made by this type (by code, so copies of a package agree). */
  is(error: unknown): error is SugarError;
}

export function errorType<A extends unknown[]>(
  code: string,
  status: number,
  format: (...args: A) => string,
): ErrorType<A> {
  const make = (...args: A) => new SugarError(code, format(...args), { status });
  return Object.assign(make, {
    code,
    is: (error: unknown): error is SugarError => isSugarError(error) && error.code === code,
  });
}

/** Attach a cause to an error made by an {@link ErrorType}. */
export function withCause<E extends SugarError>(error: E, cause: unknown): E {
  Object.defineProperty(error, 'cause', { value: cause, configurable: true, writable: true });
  return error;
}

/** Every error code the core raises. The README lists the same codes. */
export const ServerErrors = {
  CONFIG: errorType('SERVER_ERR_CONFIG', 500, (problems: string[]) =>
    problems.length === 1 ? problems[0]! : `${problems.length} problems in the configuration:\n  ${problems.join('\n  ')}`),
  PLUGIN_IMPORT: errorType('SERVER_ERR_PLUGIN_IMPORT', 500, (pkg: string, why: string) => `${pkg} failed to load: ${why}`),
  PLUGIN_INVALID: errorType('SERVER_ERR_PLUGIN_INVALID', 500, (pkg: string, why: string) => `${pkg}: ${why}`),
  PLUGIN_TIMEOUT: errorType('SERVER_ERR_PLUGIN_TIMEOUT', 500, (service: string, phase: string, ms: number) =>
    `${service} did not finish ${phase} within ${ms} ms`),
  PLUGIN_START: errorType('SERVER_ERR_PLUGIN_START', 500, (service: string, why: string) => `${service} failed to start: ${why}`),
  PLUGIN_CRASHED: errorType('SERVER_ERR_PLUGIN_CRASHED', 500, (service: string, why: string, restartInMs: number) =>
    `${service} crashed (${why}); the other services go on, and it starts again in ${Math.round(restartInMs / 1000)} s`),
  PLUGIN_ISOLATED: errorType('SERVER_ERR_PLUGIN_ISOLATED', 500, (service: string, what: string) =>
    `${service} runs in a process of its own ([providers] isolate), where it cannot ${what}`),
  PLUGIN_BLOCKED: errorType('SERVER_ERR_PLUGIN_BLOCKED', 500, (service: string, why: string) => `${service} not started: ${why}`),
  SERVICE_UNAVAILABLE: errorType('SERVER_ERR_SERVICE_UNAVAILABLE', 503, (what: string) => `${what} is not running`),
  DATA_LOCKED: errorType('SERVER_ERR_DATA_LOCKED', 500, (dir: string, pid: number) =>
    `data folder ${dir} is in use by another sugar-server (pid ${pid}); stop it first or start this one with another --root`),
  DATA_UNWRITABLE: errorType('SERVER_ERR_DATA_UNWRITABLE', 500, (dir: string, why: string) =>
    `data folder ${dir} cannot be written (${why}); the lock and the stores live there: make it writable or start with another --root`),
  STORE_CORRUPT: errorType('SERVER_ERR_STORE_CORRUPT', 500, (file: string, why: string) =>
    `store ${file} cannot be read (${why}); it was left untouched, restore it from a backup or move it away`),
  /** The store's file format is newer than this core reads, or (with `writer`) its document's version is newer than the plugin declares. */
  STORE_TOO_NEW: errorType('SERVER_ERR_STORE_TOO_NEW', 500, (file: string, found: number, known: number, writer?: { name: string; version?: string }) =>
    (writer
      ? `store ${file} was written by a newer ${writer.name} (document version ${found}; ${writer.name}${writer.version ? ` ${writer.version}` : ''} reads document version ${known} and older). `
      : `store ${file} was written by a newer sugar-server (store format ${found}; this version reads format ${known} and older). `) +
    `Going back to an older version is refused so that nothing the newer one wrote is lost: install the newer ${writer?.name ?? 'sugar-server'} again, ` +
    'or restore the data folder from a backup made with this version'),
  STORE_MIGRATION: errorType('SERVER_ERR_STORE_MIGRATION', 500, (file: string, writer: string, why: string) =>
    `store ${file} could not be brought to ${writer}'s document version (${why}); nothing in it was changed`),
  STORE_WRITE: errorType('SERVER_ERR_STORE_WRITE', 503, (dir: string, why: string) =>
    `store ${dir} could not be written (${why}); the change is written with the next one once the disk takes it again`),
  STORE_JOURNAL_CORRUPT: errorType('SERVER_ERR_STORE_JOURNAL_CORRUPT', 500, (file: string, offset: number, why: string) =>
    `store journal ${file} is damaged at byte ${offset} (${why}) and good records follow; nothing was changed. ` +
    `To keep every record before it, run: sugar-server store truncate ${file} --at ${offset} ` +
    '(the damaged journal is kept beside it), or restore the store folder from a backup'),
  ROUTE_TAKEN: errorType('SERVER_ERR_ROUTE_TAKEN', 500, (service: string, route: string, owner: string) =>
    `${service} cannot serve ${route}: ${owner} already serves it (two plugins may not share a method and path)`),
  PORT_TAKEN: errorType('SERVER_ERR_PORT_TAKEN', 500, (what: string, where: string, holder: string) =>
    `${what} cannot listen on ${where}: ${holder} already listens on that port (two plugins may not share a port)`),
  LISTEN: errorType('SERVER_ERR_LISTEN', 500, (what: string, where: string, why: string) => `${what} cannot listen on ${where}: ${why}`),
  NOT_FOUND: errorType('SERVER_ERR_NOT_FOUND', 404, (what: string) => `${what} not found`),
  UNAUTHORIZED: errorType('SERVER_ERR_UNAUTHORIZED', 401, () => 'this needs the admin token (Authorization: Bearer …)'),
  BAD_REQUEST: errorType('SERVER_ERR_BAD_REQUEST', 400, (why: string) => why),
  BODY_TOO_LARGE: errorType('SERVER_ERR_BODY_TOO_LARGE', 413, (limit: number) => `request body is larger than ${limit} bytes`),
  UNSUPPORTED_MEDIA: errorType('SERVER_ERR_UNSUPPORTED_MEDIA', 415, (expected: string) => `expected a ${expected} body`),
  INTERNAL: errorType('SERVER_ERR_INTERNAL', 500, () => 'internal error'),
  NOT_RUNNING: errorType('SERVER_ERR_NOT_RUNNING', 500, (where: string, why: string) => `no sugar-server answers at ${where} (${why})`),
  USAGE: errorType('SERVER_ERR_USAGE', 400, (why: string) => why),
  SERVICE_STARTING: errorType('SERVER_ERR_SERVICE_STARTING', 503, (service: string) => `${service} is starting; try again shortly`),
  ADMIN_SIGNED_OUT: errorType('SERVER_ERR_ADMIN_SIGNED_OUT', 401, () => 'sign in to the admin console first (the session ended or never began)'),
  ADMIN_FORM: errorType('SERVER_ERR_ADMIN_FORM', 403, () => 'this form is out of date or was sent from another site; reload the page and try again'),
  ADMIN_LOGIN: errorType('SERVER_ERR_ADMIN_LOGIN', 401, () => 'wrong account name, password or token'),
  ADMIN_LOGIN_LIMIT: errorType('SERVER_ERR_ADMIN_LOGIN_LIMIT', 429, (seconds: number) =>
    `too many failed sign-ins from this address; try again in ${seconds} s`),
  MAINTENANCE: errorType('SERVER_ERR_MAINTENANCE', 503, (reason: string | null, retryAfterSeconds: number) =>
    `the school server is in maintenance${reason ? ` (${reason})` : ''}; try again in ${retryAfterSeconds} s`),
} as const;
