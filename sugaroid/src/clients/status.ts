/**
 * `GET /status`: the daemon's own state and each plugin's. Not a laptop
 * protocol, but every scenario starts by asking which services are running.
 * The answer is checked field by field, so a drift between the daemon and this
 * client shows up as `SUGAROID_ERR_BAD_ANSWER` rather than as `undefined` later.
 */
import { SugaroidErrors } from '../errors.js';
import { requestText, serverErrorDetail, serverUrl, type RequestOptions } from './http.js';

/** The daemon's own lifecycle state. */
export type ServerState = 'starting' | 'running' | 'reloading' | 'stopping';

/** A plugin's lifecycle state. */
export type PluginState = 'disabled' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed' | 'blocked';

const SERVER_STATES: readonly string[] = ['starting', 'running', 'reloading', 'stopping'] satisfies ServerState[];
const PLUGIN_STATES: readonly string[] = [
  'disabled', 'starting', 'running', 'stopping', 'stopped', 'failed', 'blocked',
] satisfies PluginState[];

/** One selected plugin, as `/status` lists it. */
export interface PluginStatus {
  service: string;
  /** npm package providing the service; null when none is installed. */
  package: string | null;
  version: string | null;
  enabled: boolean;
  state: PluginState;
  dependsOn: string[];
  /** Seconds since it reached `running`; null when not running. */
  uptime: number | null;
  error: { code: string; message: string } | null;
  /** Extra ports it listens on (191 for leases, 8080 for registration...). */
  listeners: { name: string; address: string; port: number }[];
}

/** What `GET /status` answers. */
export interface ServerStatus {
  server: {
    name: string;
    version: string;
    pluginApi: string;
    state: ServerState;
    /** Seconds since the daemon started. */
    uptime: number;
    config: {
      generation: number;
      /** ISO 8601 time of the last applied load. */
      loadedAt: string;
      /** Why the last reload was refused; null when it applied. */
      lastError: string | null;
    };
  };
  plugins: PluginStatus[];
  /** Installed providers of a service that config did not pick. */
  standby: { service: string; package: string; version: string; reason: string }[];
  /** Packages that looked like plugins but were refused. */
  rejected: { package: string; reason: string }[];
}

/** Ask a server for its status (`GET <serverUrl>/status`). */
export async function fetchStatus(server: string, options: RequestOptions = {}): Promise<ServerStatus> {
  const url = serverUrl(server, 'status');
  const answer = await requestText(url, { headers: { accept: 'application/json' } }, options);
  if (answer.status < 200 || answer.status > 299) {
    throw SugaroidErrors.HTTP('GET', url.href, answer.status, serverErrorDetail(answer.body));
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.body);
  } catch {
    const type = answer.headers.get('content-type') ?? 'no content type';
    throw SugaroidErrors.BAD_ANSWER(url.href, `body is not JSON (${type})`);
  }
  const problem = checkStatus(parsed, '');
  if (problem) throw SugaroidErrors.BAD_ANSWER(url.href, problem);
  return parsed as ServerStatus;
}

/** Checks one value; answers what is wrong with it, at `path`, or undefined. */
type Check = (value: unknown, path: string) => string | undefined;

const leaf = (ok: (v: unknown) => boolean, what: string): Check => (v, path) =>
  ok(v) ? undefined : `${path} should be ${what}, got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`;
const str = leaf((v) => typeof v === 'string', 'a string');
const num = leaf((v) => typeof v === 'number' && Number.isFinite(v), 'a number');
const bool = leaf((v) => typeof v === 'boolean', 'a boolean');
const oneOf = (values: readonly string[]) => leaf((v) => typeof v === 'string' && values.includes(v), `one of ${values.join('|')}`);
const nullable = (check: Check): Check => (v, path) => (v === null ? undefined : check(v, path));
const list = (check: Check): Check => (v, path) => {
  if (!Array.isArray(v)) return `${path} should be an array`;
  for (const [i, item] of v.entries()) {
    const problem = check(item, `${path}[${i}]`);
    if (problem) return problem;
  }
  return undefined;
};
const object = (fields: Record<string, Check>): Check => (v, path) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return `${path || 'the body'} should be an object`;
  for (const [key, check] of Object.entries(fields)) {
    const problem = check((v as Record<string, unknown>)[key], path ? `${path}.${key}` : key);
    if (problem) return problem;
  }
  return undefined;
};

const checkStatus = object({
  server: object({
    name: str,
    version: str,
    pluginApi: str,
    state: oneOf(SERVER_STATES),
    uptime: num,
    config: object({ generation: num, loadedAt: str, lastError: nullable(str) }),
  }),
  plugins: list(object({
    service: str,
    package: nullable(str),
    version: nullable(str),
    enabled: bool,
    state: oneOf(PLUGIN_STATES),
    dependsOn: list(str),
    uptime: nullable(num),
    error: nullable(object({ code: str, message: str })),
    listeners: list(object({ name: str, address: str, port: num })),
  })),
  standby: list(object({ service: str, package: str, version: str, reason: str })),
  rejected: list(object({ package: str, reason: str })),
});
