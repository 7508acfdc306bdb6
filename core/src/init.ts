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

/** The shipped, commented defaults (the repository's etc/, also what packages install to /etc). */
const SHIPPED_CONFIG = fileURLToPath(new URL('../../etc/sugar-server/sugar-server.conf', import.meta.url));
const DEV_DROP_IN = '10-dev.conf';

export const DEV_SETTINGS = `# Written by \`sugar-server init --dev\`: a developer's daemon, reachable only
# from this machine. Delete this file to get the shipped defaults back.

[core]
# Only this checkout's packages; no distro plugin folders.
plugin_dirs =

[http]
address = 127.0.0.1
port = 5080

[mdns]
enabled = off

# Laptops expect 8080 and 191; a developer's daemon stays above 1024.
[registry]
port = 5088

[leases]
port = 5191
`;

export interface InitResult {
  readonly created: string[];
}

export async function initRoot(paths: Paths, options: { dev: boolean }): Promise<InitResult> {
  const created: string[] = [];
  await mkdir(dropInDir(paths), { recursive: true });
  if (!existsSync(configFile(paths)) && existsSync(SHIPPED_CONFIG)) {
    await copyFile(SHIPPED_CONFIG, configFile(paths));
    created.push(configFile(paths));
  }
  const dev = join(dropInDir(paths), DEV_DROP_IN);
  if (options.dev && !existsSync(dev)) {
    await writeFile(dev, DEV_SETTINGS);
    created.push(dev);
  }
  return { created };
}

export async function hasDevDropIn(paths: Paths): Promise<boolean> {
  return readFile(join(dropInDir(paths), DEV_DROP_IN), 'utf8').then(() => true, () => false);
}
