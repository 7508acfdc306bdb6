/** The deployment's lease signing key and leases made with it, as bios-crypto's make-lease.sh writes them. */
import { constants, generateKeyPairSync, sign } from 'node:crypto';
import type { Laptop, ActivationOutcome } from 'sugaroid';
import type { DaemonProcess } from './daemon.js';

const DAY_MS = 86_400_000;

/** The deployment's key pair; laptops check leases with the public half. */
export const DEPLOYMENT_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 });
const keyid = DEPLOYMENT_KEY.publicKey.export({ type: 'pkcs1', format: 'der' }).subarray(-32).toString('hex');

/** A lease for `laptop` ending at `until` (30 days from now by default). */
export function makeLease(laptop: Laptop, until = new Date(Date.now() + 30 * DAY_MS)): string {
  const expires = until.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
  const signature = sign('sha256', Buffer.from(`${laptop.serial}:${laptop.identity.uuid}:K:${expires}`), {
    key: DEPLOYMENT_KEY.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 8,
  });
  return `act01: ${laptop.serial} K ${expires} sig01: sha256 ${keyid} ${signature.toString('hex')}\n`;
}

/** What `laptop` gets at boot from `daemon`'s activation port (lease, stolen or none), checking the lease as the XO does. */
export async function activation(daemon: DaemonProcess, laptop: Laptop): Promise<ActivationOutcome> {
  const listener = daemon.plugin(await daemon.status(), 'leases')?.listeners.find((l) => l.name === 'activation');
  if (!listener) throw new Error(`leases is not running at ${daemon.url}`);
  return (await laptop.activate('127.0.0.1', listener.port, { publicKey: DEPLOYMENT_KEY.publicKey })).outcome;
}
