/**
 * The core's own sections and the check of any section against a shape of
 * options. Every problem is reported as `file:line: [section] key: what is wrong`.
 */
import { hostname } from 'node:os';
import { z } from 'zod';
import { where, type IniSection } from './ini.js';
import { makeOption, option, type ConfigOf, type ConfigShape } from './options.js';
import { adminSection, adminSectionProblems } from '../admin-console/options.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const coreSections = {
  core: {
    plugin_dirs: option.list(['/usr/lib/sugar-server/plugins']),
    start_timeout: option.duration(10_000),
    stop_timeout: option.duration(10_000),
    drain_timeout: option.duration(10_000),
    restart_backoff: option.duration(5_000),
    isolate_timeout: option.duration(5_000),
    /** Charge async errors to plugins by async context: on, off (stack frames only), or auto (on while a plugin from outside this distribution runs in the daemon). */
    async_attribution: option.oneOf(['auto', 'on', 'off'] as const, 'auto'),
  },
  http: {
    address: option.address('::'),
    port: option.port(80),
    body_limit: option.size(1024 * 1024),
  },
  log: {
    level: option.oneOf(LOG_LEVELS, 'info'),
  },
  mdns: {
    enabled: option.flag(true),
    name: option.text(`sugar-server on ${hostname()}`),
  },
  feeds: {
    /** The server this one takes its configuration feed from (base URL, or usb). */
    upstream: option.feedUpstream().optional(),
    /** Picks `<group>.conf` of the upstream's configuration feed. */
    group: makeOption((raw) => (/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(raw)
      ? { ok: true as const, value: raw }
      : { ok: false as const, message: `expected a group name of letters, digits, - and _, got "${raw}"` })).optional(),
    config_interval: option.duration(3_600_000),
    /** The deployment's root public keys; with it, only signed feeds are taken. */
    trusted_keys: option.path().optional(),
    /** Publisher: the online private key that signs every manifest published. */
    signing_key: option.path().optional(),
    signature_lifetime: option.duration(7 * 86_400_000, { max: 366 * 86_400_000 }),
    /** Publisher: the root-signed keys.json naming the online keys (its .sig beside it). */
    keys_file: option.path().optional(),
    /** Publisher: drop-ins for schools (`default.conf`, `<group>.conf`), served as the feed `config`. */
    config_dir: option.path().optional(),
  },
  fleet: {
    /** The server this one checks in with; default: the one it enrolled with (`sugar-server fleet enrol`). */
    upstream: option.url().optional(),
    /** How this server names itself in its reports; default: the [mdns] name. */
    name: option.text().optional(),
    checkin_interval: option.duration(15 * 60_000),
    /** Upstream: a school not heard from for this long is listed as silent. */
    silent_after: option.duration(2 * 3_600_000, { max: 366 * 86_400_000 }),
    /** Upstream: check-ins kept per school (the latest in full, these in brief). */
    history: option.integer({ min: 1, max: 1000 }, 50),
    /** Upstream: how long an enrolment token from `sugar-server fleet invite` stays usable. */
    invite_lifetime: option.duration(7 * 86_400_000, { max: 366 * 86_400_000 }),
  },
  admin: adminSection,
} satisfies Record<string, ConfigShape>;

export type CoreSectionName = keyof typeof coreSections;
export type CoreConfig = { readonly [K in CoreSectionName]: ConfigOf<(typeof coreSections)[K]> };

/** Sections that are not plugin services; a plugin may not name its service after one. */
export const RESERVED_SECTIONS: ReadonlySet<string> = new Set([...Object.keys(coreSections), 'plugins', 'providers']);

/** Names no plugin may give its service: the sections above, and `isolate`, a key of `[providers]` that is not a service. */
export const RESERVED_SERVICE_NAMES: ReadonlySet<string> = new Set([...RESERVED_SECTIONS, 'isolate']);

export type Checked<T> = { ok: true; value: T } | { ok: false; problems: string[] };

/** Check one section (absent = all defaults) against `shape`. */
export function checkSection<S extends ConfigShape>(name: string, section: IniSection | undefined, shape: S): Checked<ConfigOf<S>> {
  // No prototype: a key such as `__proto__` is then an ordinary, unknown key.
  const input: Record<string, string> = Object.create(null);
  for (const [key, entry] of section?.entries ?? []) input[key] = entry.value;

  const result = z.strictObject(shape).safeParse(input);
  if (result.success) return { ok: true, value: withoutPrototype(result.data) as ConfigOf<S> };

  const problems: string[] = [];
  for (const issue of result.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const entry = section?.entries.get(key);
        const known = Object.keys(shape);
        const hint = known.length ? `known keys: ${known.join(', ')}` : 'this section takes no keys';
        problems.push(`${entry ? where(entry) : '?'}: [${name}] ${key}: unknown key (${hint})`);
      }
      continue;
    }
    const key = String(issue.path[0] ?? '');
    const entry = section?.entries.get(key);
    const at = entry ? where(entry) : section ? where(section.origin) : 'config';
    const message = issue.code === 'invalid_type' && !entry ? 'must be set' : issue.message;
    problems.push(`${at}: [${name}] ${key}: ${message}`);
  }
  return { ok: false, problems };
}

function withoutPrototype<T extends object>(value: T): T {
  return Object.assign(Object.create(null) as T, value);
}

/** Check every core section; the sections' absence means their defaults. */
export function checkCoreSections(sections: ReadonlyMap<string, IniSection>): Checked<CoreConfig> {
  const problems: string[] = [];
  const config: Record<string, unknown> = Object.create(null);
  for (const name of Object.keys(coreSections) as CoreSectionName[]) {
    const checked = checkSection(name, sections.get(name), coreSections[name]);
    if (checked.ok) config[name] = checked.value;
    else problems.push(...checked.problems);
  }
  problems.push(...adminSectionProblems(sections.get('admin')));
  return problems.length ? { ok: false, problems } : { ok: true, value: config as CoreConfig };
}
