/**
 * What the server knows: per serial, the lease lines a bundle carried for it
 * (kept together and in bundle order, since the XO takes the first that matches
 * it), when they came and when they expire; and the stolen list. Kept in the
 * plugin's document, so every change is on disk before it is acknowledged.
 */
import type { Store } from 'sugar-server';
import { formatBundle } from './bundle.js';

/** How the leases of a serial were checked when they came in. */
export type CheckLevel =
  /** Signature checked against SN:UUID:K:EXP with the registered UUID. */
  | 'full'
  /** Made with the deployment key; the UUID was not known. */
  | 'key'
  /** No public key configured: stored as they came. */
  | 'off';

/** The leases held for one serial. */
export interface SerialLeases {
  /** The lease lines, concatenated as the bundle had them, each ending in a newline. */
  readonly text: string;
  /** `YYYYMMDDTHHMMSSZ` of each line, in order. */
  readonly expires: readonly string[];
  /** ISO 8601 time of the import that brought them. */
  readonly importedAt: string;
  /** Where they came from: `upload`, `feed` or `signed`. */
  readonly source: string;
  readonly checked: CheckLevel;
}

/** The plugin's document. */
export interface LeasesDocument {
  leases: Record<string, SerialLeases>;
  stolen: Record<string, { readonly since: string }>;
  /** `generated` of the last Mothership feed applied, so a restart does not apply it again. */
  feedGenerated: string | null;
}

/** What the server answers a laptop asking for `serial`. */
export type Answer =
  | { readonly outcome: 'lease'; readonly text: string }
  | { readonly outcome: 'stolen' }
  | { readonly outcome: 'none' };

/** The answer a stolen laptop gets, byte for byte (activate.py `check_stolen`). */
export const STOLEN = 'STOLEN';

const EMPTY: LeasesDocument = { leases: {}, stolen: {}, feedGenerated: null };

/** The leases and the stolen list, over the plugin's durable document. */
export class LeaseStore {
  /** Bumped on every lease change; the published bundle is rebuilt only when it moved. */
  private revision = 0;
  private bundleCache: { revision: number; data: Buffer } | undefined;

  constructor(private readonly store: Store<LeasesDocument>) {}

  /** Open through `ctx.openStore`, filling in parts an older document lacks. */
  static async open(openStore: (defaults: LeasesDocument) => Promise<Store<LeasesDocument>>): Promise<LeaseStore> {
    const store = await openStore(structuredClone(EMPTY));
    const data = store.data as Partial<LeasesDocument>;
    if (!data.leases || !data.stolen || data.feedGenerated === undefined) {
      await store.update((doc) => {
        doc.leases ??= {};
        doc.stolen ??= {};
        doc.feedGenerated ??= null;
      });
    }
    return new LeaseStore(store);
  }

  /** The answer for `serial`: stolen wins over any lease. */
  answer(serial: string): Answer {
    if (Object.hasOwn(this.store.data.stolen, serial)) return { outcome: 'stolen' };
    const leases = this.get(serial);
    return leases ? { outcome: 'lease', text: leases.text } : { outcome: 'none' };
  }

  /** The leases held for `serial`. */
  get(serial: string): SerialLeases | undefined {
    return Object.hasOwn(this.store.data.leases, serial) ? this.store.data.leases[serial] : undefined;
  }

  /** Every serial with its leases. */
  entries(): [serial: string, leases: SerialLeases][] {
    return Object.entries(this.store.data.leases);
  }

  /** Replace the entries of the serials given (a newer bundle carrying a serial replaces what was held for it). */
  async replace(entries: readonly (readonly [serial: string, leases: SerialLeases])[]): Promise<void> {
    if (entries.length === 0) return;
    await this.store.update((doc) => {
      for (const [serial, leases] of entries) doc.leases[serial] = leases;
    });
    this.revision++;
  }

  /** True when `serial` is on the stolen list. */
  isStolen(serial: string): boolean {
    return Object.hasOwn(this.store.data.stolen, serial);
  }

  /** Mark `serial` stolen; false when it already was. */
  async markStolen(serial: string, now: Date): Promise<boolean> {
    if (this.isStolen(serial)) return false;
    await this.store.update((doc) => {
      doc.stolen[serial] = { since: now.toISOString() };
    });
    return true;
  }

  /** Take `serial` off the stolen list; false when it was not on it. */
  async unmarkStolen(serial: string): Promise<boolean> {
    if (!this.isStolen(serial)) return false;
    await this.store.update((doc) => {
      delete doc.stolen[serial];
    });
    return true;
  }

  /** The stolen list, by serial. */
  stolen(): { serial: string; since: string }[] {
    return Object.entries(this.store.data.stolen)
      .map(([serial, { since }]) => ({ serial, since }))
      .sort((a, b) => (a.serial < b.serial ? -1 : a.serial > b.serial ? 1 : 0));
  }

  /** `generated` of the last Mothership feed applied. */
  get feedGenerated(): string | null {
    return this.store.data.feedGenerated;
  }

  /** Remember that the feed version `generated` is applied. */
  async setFeedGenerated(generated: string): Promise<void> {
    await this.store.update((doc) => {
      doc.feedGenerated = generated;
    });
  }

  /** Everything held, as one canonical JSON bundle (what this server publishes as a Mothership). */
  bundle(): Buffer {
    if (this.bundleCache?.revision !== this.revision) {
      const data = Buffer.from(formatBundle(this.entries().map(([serial, leases]) => [serial, leases.text] as const)));
      this.bundleCache = { revision: this.revision, data };
    }
    return this.bundleCache.data;
  }
}
