/**
 * Which package runs each service, and whether it is on. `[plugins]` switches a
 * service (`leases = on`); `[providers]` picks the package when more than one
 * provides it (a downstream variant replacing ours without patching), and its
 * `isolate` key lists the services that run in a process of their own.
 */
import { where, type IniDocument, type IniEntry, type IniSection } from '../config/ini.js';
import { option } from '../config/options.js';
import { RESERVED_SECTIONS } from '../config/schema.js';
import type { Discovery } from './discover.js';
import { SERVICE_NAME, type Candidate } from './manifest.js';

export interface ServiceChoice {
  readonly service: string;
  readonly enabled: boolean;
  /** The package that runs the service; absent when none is installed. */
  readonly provider?: Candidate | undefined;
  /** Every installed package that provides the service. */
  readonly providers: readonly Candidate[];
  readonly section?: IniSection | undefined;
  /** Runs in its own child process (`[providers] isolate`). */
  readonly isolated: boolean;
}

export interface Selection {
  readonly services: ReadonlyMap<string, ServiceChoice>;
  readonly problems: readonly string[];
}

const flag = option.flag();
const serviceList = option.list();

/** The key of `[providers]` that lists services to isolate; no service may take the name. */
export const ISOLATE_KEY = 'isolate';

export function selectPlugins(discovery: Discovery, doc: IniDocument): Selection {
  const problems: string[] = [];
  const byService = new Map<string, Candidate[]>();
  for (const candidate of discovery.candidates) {
    const list = byService.get(candidate.service) ?? [];
    list.push(candidate);
    byService.set(candidate.service, list);
  }

  const enabled = new Map<string, boolean>();
  for (const [service, entry] of doc.get('plugins')?.entries ?? []) {
    if (!isServiceName(service, 'plugins', entry, problems)) continue;
    const parsed = flag.safeParse(entry.value);
    if (!parsed.success) {
      problems.push(`${where(entry)}: [plugins] ${service}: ${parsed.error.issues[0]?.message ?? 'expected on or off'}`);
      continue;
    }
    if (parsed.data && !byService.has(service)) {
      problems.push(`${where(entry)}: [plugins] ${service}: no installed plugin provides service "${service}"${installedHint(byService)}`);
      continue;
    }
    enabled.set(service, parsed.data);
  }

  const chosen = new Map<string, Candidate>();
  const isolated = new Set<string>();
  for (const [service, entry] of doc.get('providers')?.entries ?? []) {
    if (service === ISOLATE_KEY) {
      for (const name of isolatedServices(entry, byService, problems)) isolated.add(name);
      continue;
    }
    if (!isServiceName(service, 'providers', entry, problems)) continue;
    const providers = byService.get(service) ?? [];
    const match = providers.find((candidate) => candidate.packageName === entry.value);
    if (match) chosen.set(service, match);
    else {
      const names = providers.map((candidate) => candidate.packageName);
      const known = names.length ? `installed providers: ${names.join(', ')}` : `no installed package provides "${service}"`;
      problems.push(`${where(entry)}: [providers] ${service}: package "${entry.value}" is not an installed provider (${known})`);
    }
  }

  const services = new Map<string, ServiceChoice>();
  for (const [service, providers] of [...byService].sort(([a], [b]) => a.localeCompare(b))) {
    const on = enabled.get(service) ?? false;
    const provider = chosen.get(service) ?? (providers.length === 1 ? providers[0] : undefined);
    if (!provider && on) {
      const at = doc.get('plugins')?.entries.get(service);
      problems.push(
        `${at ? where(at) : 'config'}: [plugins] ${service}: ${providers.length} packages provide "${service}" ` +
          `(${providers.map((c) => c.packageName).join(', ')}); choose one with [providers] ${service} = <package>`,
      );
    }
    services.set(service, { service, enabled: on, provider, providers, section: doc.get(service), isolated: isolated.has(service) });
  }

  for (const [name, section] of doc) {
    if (RESERVED_SECTIONS.has(name) || byService.has(name)) continue;
    problems.push(`${where(section.origin)}: [${name}]: unknown section: no installed plugin provides service "${name}"${installedHint(byService)}`);
  }
  return { services, problems };
}

/** `[providers] isolate = a, b`: each must be a service an installed plugin provides. */
function isolatedServices(entry: IniEntry, byService: ReadonlyMap<string, unknown>, problems: string[]): string[] {
  const parsed = serviceList.safeParse(entry.value);
  const names = parsed.success ? parsed.data : [];
  const known: string[] = [];
  for (const name of names) {
    if (byService.has(name)) known.push(name);
    else problems.push(`${where(entry)}: [providers] ${ISOLATE_KEY}: no installed plugin provides service "${name}"${installedHint(byService)}`);
  }
  return known;
}

function isServiceName(key: string, section: string, entry: IniEntry, problems: string[]): boolean {
  if (SERVICE_NAME.test(key)) return true;
  problems.push(`${where(entry)}: [${section}] ${key}: not a service name (a lower-case letter, then letters, digits or "-")`);
  return false;
}

function installedHint(byService: ReadonlyMap<string, unknown>): string {
  return byService.size ? ` (installed services: ${[...byService.keys()].sort().join(', ')})` : ' (no plugins are installed)';
}

/** The text of a section, to tell whether it changed between two loads. */
export function sectionKey(section: IniSection | undefined): string {
  if (!section) return '';
  return JSON.stringify([...section.entries].map(([key, entry]) => [key, entry.value]).sort());
}
