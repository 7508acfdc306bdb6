/**
 * The leases service while it runs: the store, the deployment keys, the clock,
 * and the registry when there is one. The TCP port, the HTTP routes and the feed
 * all go through it, so an import from any source behaves the same.
 */
import type { PluginContext } from 'sugar-server';
import { LeasesErrors } from './errors.js';
import { importBundle, type ImportReport } from './import-bundle.js';
import type { LeaseKey, SigningKey } from './keys.js';
import type { Lease } from './lease-line.js';
import type { Answer, LeaseStore } from './lease-store.js';
import { findRegistry } from './registry.js';
import { buildReport, type LeaseReport } from './report.js';
import { signRequest, type SignRequest } from './sign-request.js';
import { checkLease } from './signature.js';
import type { StolenEntry, StolenSource, UpstreamChange } from './stolen-sets.js';

/** What the service is built from at start. */
export interface LeasesServiceDeps {
  readonly store: LeaseStore;
  /** The deployment's public key; null means leases are stored unchecked. */
  readonly publicKey: LeaseKey | null;
  readonly signingKey: SigningKey | null;
  readonly container: PluginContext['container'];
  readonly now: () => number;
  /** Default look-ahead of the report, in days. */
  readonly warningDays: number;
}

/** How long /status may show the same lease counts while nothing changes (expiry moves with time). */
const SUMMARY_TTL_MS = 60_000;

/** What /status shows of the leases: counts only, no serial (it is public). */
export interface LeaseSummary {
  readonly verification: 'on' | 'off';
  readonly serials: number;
  readonly leases: number;
  readonly stolen: number;
  readonly stolenBySource: { readonly local: number; readonly upstream: number };
  readonly expiringSoon: number;
  readonly expired: number;
}

/** The operations every way in (port 191, HTTP, the feed) shares. */
export class LeasesService {
  private summaryCache: { version: number; at: number; summary: LeaseSummary } | undefined;

  constructor(private readonly deps: LeasesServiceDeps) {}

  /** `on` when a public key checks imports. */
  get verification(): 'on' | 'off' {
    return this.deps.publicKey ? 'on' : 'off';
  }

  /** What a laptop asking for `serial` gets. */
  answer(serial: string): Answer {
    return this.deps.store.answer(serial);
  }

  /** Import a bundle from `source` (`upload`, `feed`); see {@link importBundle}. */
  import(data: Buffer | string, source: string): Promise<ImportReport> {
    const registry = findRegistry(this.deps.container);
    return importBundle(data, this.deps.store, {
      key: this.deps.publicKey,
      uuidOf: (serial) => registry?.get(serial)?.uuid,
      source,
      now: new Date(this.deps.now()),
    });
  }

  /** Sign a new lease with the server's own key and store it in place of what the serial had. */
  async sign(request: SignRequest): Promise<Lease> {
    const { signingKey, publicKey } = this.deps;
    if (!signingKey) throw LeasesErrors.NO_SIGNING_KEY();
    const { lease, uuid } = signRequest(request, signingKey, this.deps.now());
    const check = checkLease(lease, publicKey ?? signingKey, uuid);
    // Only a signing key that does not match public_key gets here: its leases would be refused everywhere.
    if (!check.ok) throw LeasesErrors.WRONG_KEY(lease.serial, signingKey.keyid, publicKey?.keyid ?? signingKey.keyid);
    await this.deps.store.replace([[lease.serial, {
      text: lease.text,
      expires: [lease.expires],
      importedAt: new Date(this.deps.now()).toISOString(),
      source: 'signed',
      checked: 'full',
    }]]);
    return lease;
  }

  /** Mark `serial` stolen here: from now on it gets `STOLEN`. False when it already was marked here. */
  markStolen(serial: string): Promise<boolean> {
    return this.deps.store.markStolen(serial, new Date(this.deps.now()));
  }

  /**
   * Remove the mark made here, and answer the lists that still mark `serial`
   * (`upstream`, or none). Throws LEASES_ERR_STOLEN_UPSTREAM when only the
   * upstream marks it, LEASES_ERR_NOT_STOLEN when nothing does.
   */
  async unmarkStolen(serial: string): Promise<StolenSource[]> {
    if (!(await this.deps.store.unmarkStolen(serial))) {
      throw this.deps.store.isStolen(serial) ? LeasesErrors.STOLEN_UPSTREAM(serial) : LeasesErrors.NOT_STOLEN(serial);
    }
    return this.stolenSources(serial);
  }

  /** The lists that mark `serial` stolen. */
  stolenSources(serial: string): StolenSource[] {
    return this.deps.store.stolenSources(serial);
  }

  /** Every stolen serial with the lists that mark it. */
  stolen(): StolenEntry[] {
    return this.deps.store.stolen();
  }

  /** Make `serials` the upstream's stolen list (each applied feed version replaces it as a whole). */
  replaceUpstreamStolen(serials: ReadonlySet<string>): Promise<UpstreamChange> {
    return this.deps.store.replaceUpstreamStolen(serials, new Date(this.deps.now()));
  }

  /**
   * Counts for /status, rebuilt only when leases or stolen lists changed or a
   * minute passed: /status is polled, and the full report walks every lease.
   */
  summary(): LeaseSummary {
    const now = this.deps.now();
    const version = this.deps.store.version;
    // Either way: a clock stepped back must not hold the counts until it catches up again.
    if (!this.summaryCache || this.summaryCache.version !== version || Math.abs(now - this.summaryCache.at) >= SUMMARY_TTL_MS) {
      const { verification, counts, expiringSoon, expired } = buildReport({ store: this.deps.store, registry: null, now, warningDays: this.deps.warningDays, verification: this.verification });
      this.summaryCache = { version, at: now, summary: { verification, ...counts, expiringSoon: expiringSoon.length, expired: expired.length } };
    }
    return this.summaryCache.summary;
  }

  /** The report; `days` overrides the configured look-ahead. */
  report(days = this.deps.warningDays): LeaseReport {
    return buildReport({
      store: this.deps.store,
      registry: findRegistry(this.deps.container),
      now: this.deps.now(),
      warningDays: days,
      verification: this.verification,
    });
  }
}
