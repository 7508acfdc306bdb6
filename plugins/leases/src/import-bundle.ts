/**
 * Importing a bundle: read it, check each lease against the deployment key when
 * one is configured, and replace what is held for every serial that keeps at
 * least one good lease.
 *
 * A bundle with some bad leases is not refused as a whole: the good ones are
 * imported (one broken line must not keep a whole school locked), and each bad
 * one is reported with its serial and reason. A serial whose leases are all bad
 * keeps what it had before.
 */
import { parseBundle, type BundleProblem } from './bundle.js';
import type { LeaseKey } from './keys.js';
import type { Lease } from './lease-line.js';
import type { CheckLevel, LeaseStore, SerialLeases } from './lease-store.js';
import { checkLease } from './signature.js';

/** What an import did; the admin API answers it and the CLI prints it. */
export interface ImportReport {
  readonly form: 'lines' | 'json';
  /** `off` when no public key is configured: leases were stored without checks. */
  readonly verification: 'on' | 'off';
  /** Serials whose leases were replaced. */
  readonly serials: number;
  /** Lease lines stored. */
  readonly leases: number;
  /** Of the stored serials, how many were checked against the registered UUID, and how many by key only. */
  readonly checked: { readonly full: number; readonly key: number };
  /** Every lease or entry left out, with the serial when known. */
  readonly refused: readonly BundleProblem[];
}

/** What an import needs besides the bundle. */
export interface ImportOptions {
  /** The deployment's public key; without it nothing is checked. */
  readonly key: LeaseKey | null;
  /** The registered UUID of a serial, when the registry knows it. */
  readonly uuidOf: (serial: string) => string | undefined;
  /** `upload`, `feed` or `signed`. */
  readonly source: string;
  readonly now: Date;
}

/** Signatures checked between two turns of the event loop (an RSA check takes tens of microseconds). */
const CHECKS_PER_TURN = 64;

/**
 * Whether what is held for a serial stands unchecked: the bundle brings exactly those leases again and
 * they were checked, with this key, as far as a check now would go (by key while the
 * laptop is unknown, fully once its UUID is; a laptop's UUID is its hardware's): a
 * feed republishes every lease at each change, and the school need only check what changed.
 */
function alreadyProven(held: SerialLeases | undefined, leases: readonly Lease[], key: LeaseKey, uuid: string | undefined): held is SerialLeases & { readonly checked: 'full' | 'key' } {
  if (!held || held.checked !== (uuid === undefined ? 'key' : 'full')) return false;
  // The key id is the key's own (its last bytes): leases held under a key replaced since are checked again.
  return leases.every((lease) => lease.sig01?.keyid === key.keyid) && held.text === leases.map((lease) => lease.text).join('');
}

/** Import `data` into `store`; throws LEASES_ERR_BAD_BUNDLE when nothing in it is a lease. */
export async function importBundle(data: Buffer | string, store: LeaseStore, options: ImportOptions): Promise<ImportReport> {
  const bundle = parseBundle(data);
  const refused: BundleProblem[] = [...bundle.problems];
  const accepted: [string, SerialLeases][] = [];
  const checked = { full: 0, key: 0 };
  let sinceYield = 0;

  for (const { serial, leases } of bundle.entries) {
    const uuid = options.key ? options.uuidOf(serial) : undefined;
    const held = store.get(serial);
    if (options.key && alreadyProven(held, leases, options.key, uuid)) {
      checked[held.checked]++;
      accepted.push([serial, { ...held, importedAt: options.now.toISOString(), source: options.source }]);
      continue;
    }
    // Checking a signature is CPU work; a big bundle must not hold port 191 for its whole length.
    if (options.key && (sinceYield += leases.length) >= CHECKS_PER_TURN) {
      sinceYield = 0;
      await new Promise((resolve) => setImmediate(resolve));
    }
    const good: Lease[] = [];
    let level: CheckLevel = options.key ? 'full' : 'off';
    if (options.key) {
      for (const lease of leases) {
        const result = checkLease(lease, options.key, uuid);
        if (!result.ok) {
          refused.push({ serial, code: result.code, reason: result.reason });
          continue;
        }
        if (result.checked === 'key') level = 'key';
        good.push(lease);
      }
    } else {
      good.push(...leases);
    }
    if (good.length === 0) continue;
    if (level === 'full') checked.full++;
    if (level === 'key') checked.key++;
    accepted.push([serial, {
      text: good.map((lease) => lease.text).join(''),
      expires: good.map((lease) => lease.expires),
      importedAt: options.now.toISOString(),
      source: options.source,
      checked: level,
    }]);
  }

  await store.replace(accepted);
  return {
    form: bundle.form,
    verification: options.key ? 'on' : 'off',
    serials: accepted.length,
    leases: accepted.reduce((sum, [, leases]) => sum + leases.expires.length, 0),
    checked,
    refused,
  };
}
