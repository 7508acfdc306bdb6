/**
 * What the server knows: per serial, the lease lines a bundle carried for it
 * (kept together and in bundle order, since the XO takes the first that matches
 * it), when they came and when they expire; and the stolen lists, the one
 * marked here and the one mirrored from upstream (stolen-sets.ts). Kept in the
 * plugin's document, so every change is on disk before it is acknowledged.
 */
import type { DocumentVersion, Store } from 'sugar-server';
import { formatBundle } from './bundle.js';
import {
  countStolen,
  emptyStolenSets,
  isStolenIn,
  listStolen,
  readStolenSets,
  replaceUpstream,
  sourcesOf,
  stolenSerials as serialsOnEitherList,
  type StolenCounts,
  type StolenEntry,
  type StolenSets,
  type StolenSource,
  type UpstreamChange,
} from './stolen-sets.js';

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
  stolen: StolenSets;
  /** `generated` of the last upstream feed applied, so a restart does not import its bundle again. */
  feedGenerated: string | null;
}

/** What the server answers a laptop asking for `serial`. */
export type Answer =
  | { readonly outcome: 'lease'; readonly text: string }
  | { readonly outcome: 'stolen' }
  | { readonly outcome: 'none' };

/** The answer a stolen laptop gets, byte for byte (activate.py `check_stolen`). */
export const STOLEN = 'STOLEN';

const EMPTY: LeasesDocument = { leases: {}, stolen: emptyStolenSets(), feedGenerated: null };

/**
 * The version of this document's shape. A release that changes the shape
 * raises it and adds the migration from the version before to `migrate`
 * (README, Storage: versions and migrations).
 */
export const LEASES_DOCUMENT: DocumentVersion = { version: 1, migrate: {} };

/** The leases and the stolen lists, over the plugin's durable document. */
export class LeaseStore {
  /** Bumped on every lease change; the published bundle is rebuilt only when it moved. */
  private revision = 0;
  /** Bumped on every change of leases or stolen lists, for summaries cached between changes. */
  private changes = 0;
  private bundleCache: { revision: number; data: Buffer } | undefined;

  constructor(private readonly store: Store<LeasesDocument>) {}

  /** Open through `ctx.openStore`, bringing a document an older version wrote to the current shape. */
  static async open(openStore: (defaults: LeasesDocument) => Promise<Store<LeasesDocument>>): Promise<LeaseStore> {
    const store = await openStore(structuredClone(EMPTY));
    const data = store.data as Partial<Record<keyof LeasesDocument, unknown>>;
    const stolen = readStolenSets(data.stolen);
    if (!data.leases || stolen.migrated || data.feedGenerated === undefined) {
      await store.update((doc) => {
        doc.leases ??= {};
        doc.stolen = stolen.sets;
        doc.feedGenerated ??= null;
      });
    }
    return new LeaseStore(store);
  }

  /** The answer for `serial`: stolen (from either list) wins over any lease. */
  answer(serial: string): Answer {
    if (this.isStolen(serial)) return { outcome: 'stolen' };
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
    this.changes++;
  }

  /** True when either list marks `serial` stolen. */
  isStolen(serial: string): boolean {
    return isStolenIn(this.store.data.stolen, serial);
  }

  /** The lists that mark `serial` stolen. */
  stolenSources(serial: string): StolenSource[] {
    return sourcesOf(this.store.data.stolen, serial);
  }

  /** Mark `serial` stolen here; false when it already was marked here. */
  async markStolen(serial: string, now: Date): Promise<boolean> {
    if (Object.hasOwn(this.store.data.stolen.local, serial)) return false;
    await this.store.update((doc) => {
      doc.stolen.local[serial] = { since: now.toISOString() };
    });
    this.changes++;
    return true;
  }

  /** Remove the mark made here; false when there was none. The upstream's mark, if any, stays. */
  async unmarkStolen(serial: string): Promise<boolean> {
    if (!Object.hasOwn(this.store.data.stolen.local, serial)) return false;
    await this.store.update((doc) => {
      delete doc.stolen.local[serial];
    });
    this.changes++;
    return true;
  }

  /** Make `serials` the upstream's stolen list; written only when it changed. */
  async replaceUpstreamStolen(serials: ReadonlySet<string>, now: Date): Promise<UpstreamChange> {
    const change = replaceUpstream(this.store.data.stolen.upstream, serials, now);
    if (change.added.length || change.removed.length) {
      await this.store.update((doc) => {
        doc.stolen.upstream = change.marks;
      });
      this.changes++;
    }
    return change;
  }

  /** Every stolen serial with its sources, by serial. */
  stolen(): StolenEntry[] {
    return listStolen(this.store.data.stolen);
  }

  /** Every serial stolen from either list, sorted. */
  stolenSerials(): string[] {
    return serialsOnEitherList(this.store.data.stolen);
  }

  /** Changes so far to leases or stolen lists: equal numbers mean nothing moved. */
  get version(): number {
    return this.changes;
  }

  /** Stolen serials by source. */
  stolenCounts(): StolenCounts {
    return countStolen(this.store.data.stolen);
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
