/**
 * What the fault suites share: a deployment key and leases signed with it,
 * the admin's calls, and waiting for a state without timing anything.
 */
import { constants, generateKeyPairSync, sign } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Laptop } from 'sugaroid';
import type { DaemonProcess } from '../../harness/index.js';

const DAY = 86_400_000;

/** The deployment's key pair: laptops check their leases with the public half. */
export const deployment = generateKeyPairSync('rsa', { modulusLength: 2048 });
const keyid = deployment.publicKey.export({ type: 'pkcs1', format: 'der' }).subarray(-32).toString('hex');

/** A lease for `laptop` ending at `expires` (30 days from now by default), as bios-crypto's make-lease.sh writes it. */
export function makeLease(laptop: Laptop, expires = new Date(Date.now() + 30 * DAY)): string {
  const stamp = expires.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
  const signature = sign('sha256', Buffer.from(`${laptop.serial}:${laptop.identity.uuid}:K:${stamp}`), {
    key: deployment.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 8,
  });
  return `act01: ${laptop.serial} K ${stamp} sig01: sha256 ${keyid} ${signature.toString('hex')}\n`;
}

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
