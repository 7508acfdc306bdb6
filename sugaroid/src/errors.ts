/**
 * Errors are data with stable codes, `SUGAROID_ERR_<WHAT>`, so scenarios and the
 * CLI tell failures apart by code, never by message text.
 */

/** A `Symbol.for` brand, so two copies of sugaroid in one process agree on what is ours. */
const brand = Symbol.for('sugaroid.error');

/** Extra facts some errors carry. */
export interface SugaroidErrorOptions {
  /** The HTTP status the server answered, for errors made from an HTTP answer. */
  status?: number;
  cause?: unknown;
}

/** Every error sugaroid raises on purpose; `code` says which one. */
export class SugaroidError extends Error {
  /** A `SUGAROID_ERR_*` code from {@link SugaroidErrors}. */
  readonly code: string;
  /** The HTTP status the server answered, when the error comes from one. */
  readonly status: number | undefined;

  constructor(code: string, message: string, options: SugaroidErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SugaroidError';
    this.code = code;
    this.status = options.status;
    Object.defineProperty(this, brand, { value: true });
  }
}

/** True for a {@link SugaroidError} from any copy of this package. */
export function isSugaroidError(value: unknown): value is SugaroidError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}

/** A constructor for one error code, which also recognises the errors it made. */
export interface SugaroidErrorType<A extends unknown[]> {
  (...args: A): SugaroidError;
  readonly code: string;
  /** True when `error` has this type's code (by code, so copies of the package agree). */
  is(error: unknown): error is SugaroidError;
}

function errorType<A extends unknown[]>(
  code: string,
  format: (...args: A) => string,
  options?: (...args: A) => SugaroidErrorOptions,
): SugaroidErrorType<A> {
  const make = (...args: A) => new SugaroidError(code, format(...args), options?.(...args));
  return Object.assign(make, {
    code,
    is: (error: unknown): error is SugaroidError => isSugaroidError(error) && error.code === code,
  });
}

/** Every error code sugaroid raises. */
export const SugaroidErrors = {
  /** Discovery heard no server of the asked type before its timeout. */
  NO_SERVER: errorType('SUGAROID_ERR_NO_SERVER', (type: string, timeoutMs: number) =>
    `no _${type}._tcp server answered over mDNS within ${timeoutMs} ms`),
  /** The mDNS socket could not be opened or bound (permission, port taken). */
  DISCOVERY: errorType('SUGAROID_ERR_DISCOVERY', (why: string) => `mDNS discovery failed: ${why}`),
  /** A server URL that is not an absolute http(s) URL. */
  BAD_SERVER_URL: errorType('SUGAROID_ERR_BAD_SERVER_URL', (url: string, why: string) => `bad server URL "${url}": ${why}`),
  /** No connection to the server (refused, unknown host, reset). */
  UNREACHABLE: errorType('SUGAROID_ERR_UNREACHABLE', (url: string, why: string) => `cannot reach ${url}: ${why}`),
  /** The server took longer than the caller allowed. */
  TIMEOUT: errorType('SUGAROID_ERR_TIMEOUT', (url: string, timeoutMs: number) => `${url} did not answer within ${timeoutMs} ms`),
  /** The server answered with a status the protocol does not expect. */
  HTTP: errorType<[method: string, url: string, status: number, detail?: string]>(
    'SUGAROID_ERR_HTTP',
    (method, url, status, detail) =>
      `server answered ${status} to ${method} ${url}${detail ? `: ${detail}` : ''}`,
    (_method, _url, status) => ({ status }),
  ),
  /** The body is not what the protocol says it should be. */
  BAD_ANSWER: errorType('SUGAROID_ERR_BAD_ANSWER', (url: string, why: string) => `unexpected answer from ${url}: ${why}`),
  /** A given serial, uuid or key type that a laptop could not have. */
  BAD_IDENTITY: errorType('SUGAROID_ERR_BAD_IDENTITY', (field: string, value: string, why: string) => `${field} "${value}" ${why}`),
  /** The CLI was called wrongly. */
  USAGE: errorType('SUGAROID_ERR_USAGE', (why: string) => why),
  /** The server answered, and said no (a registration refused with a reason). */
  REFUSED: errorType('SUGAROID_ERR_REFUSED', (what: string, why: string) => `${what} refused: ${why}`),
  /** The server sent lease text, but no lease in it would activate this laptop. */
  BAD_LEASE: errorType('SUGAROID_ERR_BAD_LEASE', (serial: string, why: string) => `no lease in the answer activates ${serial}: ${why}`),
  /** The backup server answered "busy" (503) every time ds-backup asked. */
  BUSY: errorType('SUGAROID_ERR_BUSY', (url: string, attempts: number) => `${url} answered 503 (busy) ${attempts} times; ds-backup gives up until its next run`),
  /** rsync (over ssh) ended with an error. */
  TRANSFER: errorType('SUGAROID_ERR_TRANSFER', (what: string, code: number | null, stderr: string) =>
    `${what}: rsync exited with ${code ?? 'a signal'}${stderr ? `: ${stderr}` : ''}`),
  /** A restored Journal is not byte for byte what was backed up. */
  RESTORE_MISMATCH: errorType('SUGAROID_ERR_RESTORE_MISMATCH', (snapshot: string, differences: readonly string[]) =>
    `restore of ${snapshot} differs from the expected Journal: ${differences.join('; ')}`),
} as const;
