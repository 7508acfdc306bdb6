/**
 * The deployment's lease authority: the key pair OLPC's tools sign leases
 * with, and bundles in the canonical JSON form the XO and the XS read.
 */
import { constants, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import type { Laptop } from 'sugaroid';

const DAY_MS = 86_400_000;

export class Deployment {
  readonly publicKey: KeyObject;
  private readonly privateKey: KeyObject;
  private readonly keyid: string;

  constructor() {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.publicKey = pair.publicKey;
    this.privateKey = pair.privateKey;
    this.keyid = this.publicKey.export({ type: 'pkcs1', format: 'der' }).subarray(-32).toString('hex');
  }

  /** Write the public key as a PEM file, for `[leases] public_key`. */
  async writePublicKey(file: string): Promise<void> {
    await writeFile(file, this.publicKey.export({ type: 'spki', format: 'pem' }));
  }

  /** A 30-day lease for `laptop`, as bios-crypto's make-lease.sh writes it. */
  lease(laptop: Laptop): string {
    const expires = new Date(Date.now() + 30 * DAY_MS).toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
    const signature = sign('sha256', Buffer.from(`${laptop.serial}:${laptop.identity.uuid}:K:${expires}`), {
      key: this.privateKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: 8,
    });
    return `act01: ${laptop.serial} K ${expires} sig01: sha256 ${this.keyid} ${signature.toString('hex')}\n`;
  }

  /** `[1,{"SN":"act01: …\n",…}]`, the bundle form keyed by serial. */
  bundle(laptops: readonly Laptop[]): string {
    const entries = laptops.map((laptop) => `${JSON.stringify(laptop.serial)}:${JSON.stringify(this.lease(laptop))}`);
    return `[1,{${entries.join(',')}}]`;
  }
}
