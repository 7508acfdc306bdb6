/**
 * What the fault suites share: a deployment key and leases signed with it,
 * the admin's calls, and waiting for a state without timing anything.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DaemonProcess } from '../../harness/index.js';


export { DEPLOYMENT_KEY as deployment, makeLease } from '../../harness/leases.js';

/** A call with the daemon's admin token. */
export async function admin(daemon: DaemonProcess, path: string, init: RequestInit = {}): Promise<Response> {
  const token = (await readFile(join(daemon.root, 'etc/sugar-server/admin.token'), 'utf8')).trim();
  return daemon.fetch(path, { ...init, headers: { ...(init.headers as Record<string, string>), Authorization: `Bearer ${token}` } });
}

/** The port a plugin's extra listener got. */
export async function listenerPort(daemon: DaemonProcess, service: string, name: string): Promise<number> {
  const port = daemon.plugin(await daemon.status(), service)?.listeners.find((l) => l.name === name)?.port;
  if (!port) throw new Error(`${service} has no ${name} listener`);
  return port;
}

/** Probe until `ok` holds (at most `ms`); the last value either way, for the assertion to show. */
export async function until<T>(probe: () => Promise<T>, ok: (value: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  let value = await probe();
  while (!ok(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    value = await probe();
  }
  return value;
}
