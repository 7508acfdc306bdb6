/**
 * `sugar-server init`: lay out a root for an unprivileged run. With `--dev`, a
 * drop-in moves every port above 1024 onto loopback and keeps mDNS off, so a
 * developer's daemon is reachable only from their own machine.
 */
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configFile, dropInDir, type Paths } from './paths.js';
import { discoverPlugins, installNodeModules } from './plugins/discover.js';

/**
 * The shipped, commented defaults: inside the packed core package (`etc/`, put
 * there when it is packed), else at the top of a checkout.
 */
export const SHIPPED_CONFIG_PLACES: readonly string[] = [
  fileURLToPath(new URL('../etc/sugar-server/sugar-server.conf', import.meta.url)),
  fileURLToPath(new URL('../../etc/sugar-server/sugar-server.conf', import.meta.url)),
];
const DEV_DROP_IN = '10-dev.conf';

/**
 * Each shipped service's ports that laptops expect below 1024 (or on a port a
 * developer's machine already uses), and where a developer's daemon puts them.
 */
export const DEV_PORTS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  registry: { port: 5088 },
  leases: { port: 5191 },
  backup: { ssh_port: 5022 },
};

/** The developer drop-in, with a section for each of `services` that has ports to move. */
export function devSettings(services: Iterable<string>): string {
  const sections = [...new Set(services)].filter((s) => DEV_PORTS[s]).sort()
    .map((service) => `[${service}]\n${Object.entries(DEV_PORTS[service]!).map(([key, port]) => `${key} = ${port}`).join('\n')}\n`);
  return `# Written by \`sugar-server init --dev\` and rewritten by every \`start --dev\`:
# a developer's daemon, reachable only from this machine. Put your own settings
# in a later drop-in such as conf.d/50-local.conf.

[core]
# Only this checkout's packages; no distro plugin folders.
plugin_dirs =

[http]
address = 127.0.0.1
port = 5080

[mdns]
enabled = off

[admin]
port = 5443
${sections.length ? `\n# Laptops expect ports 8080, 191 and 22; a developer's daemon stays above 1024.\n${sections.join('\n')}` : ''}`;
}

export interface InitResult {
  /** Files and folders made. */
  readonly created: string[];
  /** Files rewritten in place (the developer drop-in). */
  readonly updated: string[];
  /** Set when no shipped configuration was found to copy: where it was looked for. */
  readonly missingDefaults: readonly string[] | null;
}

export async function initRoot(paths: Paths, options: { dev: boolean }): Promise<InitResult> {
  const created: string[] = [];
  const updated: string[] = [];
  for (const dir of [paths.etc, dropInDir(paths)]) {
    if (existsSync(dir)) continue;
    await mkdir(dir, { recursive: true });
    created.push(`${dir}/`);
  }

  let missingDefaults: readonly string[] | null = null;
  if (!existsSync(configFile(paths))) {
    const shipped = SHIPPED_CONFIG_PLACES.find((place) => existsSync(place));
    if (shipped) {
      await copyFile(shipped, configFile(paths));
      created.push(configFile(paths));
    } else {
      missingDefaults = SHIPPED_CONFIG_PLACES;
    }
  }

  if (options.dev) {
    const file = join(dropInDir(paths), DEV_DROP_IN);
    const installed = await discoverPlugins(installNodeModules());
    const wanted = devSettings(installed.candidates.map((c) => c.service));
    const current = await readFile(file, 'utf8').catch(() => undefined);
    if (current !== wanted) {
      await writeFile(file, wanted);
      (current === undefined ? created : updated).push(file);
    }
  }
  return { created, updated, missingDefaults };
}
