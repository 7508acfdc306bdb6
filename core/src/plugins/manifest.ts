/**
 * A package is a plugin when its package.json has the keyword
 * `sugar-server-plugin`; its `"sugar-server"` block must then be valid and accept
 * this core's plugin API. Only package.json is read here: no plugin code runs.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { exports as resolveExports } from 'resolve.exports';
import semver from 'semver';
import { RESERVED_SERVICE_NAMES } from '../config/schema.js';
import { PLUGIN_API_VERSION } from './definition.js';

export const PLUGIN_KEYWORD = 'sugar-server-plugin';
/** What a service may be called; also the keys of `[plugins]` and `[providers]`. */
export const SERVICE_NAME = /^[a-z][a-z0-9-]{0,39}$/;
/** An absolute path of plain segments: no `//`, `.` or `..` segments, not `/` alone. */
const ROUTE = /^(?:\/(?!\.{1,2}(?:\/|$))[A-Za-z0-9._~!$&'()*+,;=:@%-]+)+\/?$/;
/** Paths the core answers itself. */
const CORE_PATHS = /^\/(?:status|metrics|feeds)(?:\/|$)/;

/** A package that passed every check and may be imported. */
export interface Candidate {
  readonly packageName: string;
  readonly version: string;
  readonly dir: string;
  /** Absolute path of the module to import. */
  readonly entry: string;
  readonly service: string;
  /** The API range the plugin accepts. */
  readonly api: string;
  readonly dependsOn: readonly string[];
  /**
   * Main-server paths it serves: `/<service>/` and what its manifest's `routes`
   * adds (a path ending in `/` is a prefix, any other an exact path). Known before
   * it starts, so its paths answer 503 rather than 404 while it does.
   */
  readonly routes: readonly string[];
  readonly description: string;
}

/** A package that says it is a plugin but cannot be one. */
export interface Rejected {
  readonly packageName: string;
  readonly dir: string;
  readonly reason: string;
}

export type ManifestResult = { kind: 'plugin'; candidate: Candidate } | { kind: 'rejected'; rejected: Rejected } | { kind: 'other' };

export async function readManifest(dir: string): Promise<ManifestResult> {
  let pkg: Record<string, unknown>;
  try {
    pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    return { kind: 'other' };
  }
  const keywords = Array.isArray(pkg.keywords) ? pkg.keywords : [];
  if (!keywords.includes(PLUGIN_KEYWORD)) return { kind: 'other' };

  const packageName = typeof pkg.name === 'string' ? pkg.name : dir;
  const reject = (reason: string): ManifestResult => ({ kind: 'rejected', rejected: { packageName, dir, reason } });

  const manifest = pkg['sugar-server'];
  if (typeof manifest !== 'object' || manifest === null) return reject('has the sugar-server-plugin keyword but no "sugar-server" manifest in package.json');
  const { service, api, dependsOn = [], routes = [], description } = manifest as Record<string, unknown>;

  if (typeof service !== 'string' || !SERVICE_NAME.test(service)) {
    return reject(`manifest "service" must be a lower-case name like "leases", got ${JSON.stringify(service)}`);
  }
  if (RESERVED_SERVICE_NAMES.has(service)) return reject(`service name "${service}" is reserved for the core`);
  if (typeof api !== 'string' || semver.validRange(api) === null) {
    return reject(`manifest "api" must be a semver range of the plugin API such as "^1.0.0", got ${JSON.stringify(api)}`);
  }
  if (!semver.satisfies(PLUGIN_API_VERSION, api, { includePrerelease: true })) {
    return reject(`needs plugin API ${api}, this server provides ${PLUGIN_API_VERSION}`);
  }
  if (!Array.isArray(dependsOn) || !dependsOn.every((name) => typeof name === 'string' && SERVICE_NAME.test(name))) {
    return reject('manifest "dependsOn" must be a list of service names');
  }
  if (dependsOn.includes(service)) return reject(`service "${service}" cannot depend on itself`);
  if (!Array.isArray(routes) || !routes.every((route) => typeof route === 'string' && ROUTE.test(route) && !CORE_PATHS.test(route))) {
    return reject('manifest "routes" must be a list of paths such as "/blocked" or "/backup/1/", outside /status, /metrics and /feeds/');
  }

  const entry = entryOf(pkg, dir);
  if (!entry) return reject('package.json names no entry module ("exports" or "main")');

  return {
    kind: 'plugin',
    candidate: {
      packageName,
      version: typeof pkg.version === 'string' ? pkg.version : '0.0.0',
      dir,
      entry,
      service,
      api,
      dependsOn: dependsOn as string[],
      routes: [`/${service}/`, ...(routes as string[])],
      description: typeof description === 'string' ? description : typeof pkg.description === 'string' ? pkg.description : '',
    },
  };
}

function entryOf(pkg: Record<string, unknown>, dir: string): string | undefined {
  let target: string | undefined;
  if (pkg.exports !== undefined) {
    try {
      target = resolveExports(pkg, '.', { conditions: ['node', 'import'], unsafe: false })?.[0];
    } catch {
      return undefined;
    }
  } else {
    target = typeof pkg.main === 'string' ? pkg.main : 'index.js';
  }
  if (!target) return undefined;
  const entry = resolve(dir, target);
  // An entry outside the package is a packaging mistake or worse.
  return entry.startsWith(resolve(dir) + '/') ? entry : undefined;
}
