/**
 * What a feed is, as plugins see it: the manifest, a verified snapshot on disk,
 * what a mirror is asked to do and what it reports.
 */
import type { Awaitable } from '../awaitable.js';

/** One file of a feed: where it sits in the feed, its digest and size. */
export interface FeedFileEntry {
  /** Relative path inside the feed: letters, digits, `._-` and `/`, no `..`. */
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
}

/** What a feed's `manifest.json` says. */
export interface FeedManifest {
  readonly name: string;
  /** When the publisher built (or last re-signed) this manifest (ISO 8601). */
  readonly generated: string;
  /** Grows with every manifest the publisher makes of this feed; a mirror never goes back. */
  readonly version?: number;
  /** Signed manifests only: after this instant (ISO 8601) the signature no longer counts. */
  readonly expires?: string;
  readonly files: readonly FeedFileEntry[];
}

/** A complete, verified copy of a feed on disk. */
export interface FeedSnapshot {
  readonly manifest: FeedManifest;
  /** Absolute path of one of its files. */
  file(path: string): string;
}

/** Where a mirror's feed comes from: a publisher's URL, or only disks (`sugar-server feeds import`). */
export type FeedUpstream = string | 'usb';

export interface MirrorSpec {
  /** The feed's name: names the copy under the plugin's data folder, in /status and on an export disk. */
  readonly name: string;
  /** The publisher's feed URL (e.g. `http://mothership/feeds/v1/leases/`), or `usb` for a school with no uplink. */
  readonly url: FeedUpstream;
  /** How often to look for a new version over the network. */
  readonly intervalMs: number;
  /** Called with each new verified snapshot (and at start with the last good one). */
  apply(snapshot: FeedSnapshot): Awaitable<void>;
}

/** How fresh a mirrored feed is, and whether it can be trusted; shown per plugin in /status. */
export interface FeedState {
  readonly name: string;
  readonly url: string;
  readonly lastAttempt: string | null;
  /** Last time the publisher was reached and the copy known current. */
  readonly lastSuccess: string | null;
  /** Last time a new version was applied. */
  readonly lastChange: string | null;
  readonly lastError: string | null;
  /** The stable code of `lastError` (e.g. `SERVER_ERR_FEED_ROLLBACK`). */
  readonly lastErrorCode: string | null;
  /** `generated` of the manifest held now. */
  readonly generated: string | null;
  /** `version` of the manifest held now. */
  readonly version: number | null;
  /** When the signature of the manifest held now runs out (signed feeds). */
  readonly expires: string | null;
  /** True once the held manifest's signature ran out: the upstream stopped re-signing (frozen or cut off). */
  readonly expired: boolean;
  /** `signed` when manifests must carry a trusted signature (`[feeds] trusted_keys`), else `unauthenticated`. */
  readonly trust: 'signed' | 'unauthenticated';
  /** The key id that signed the manifest held now. */
  readonly signedBy: string | null;
}

export interface FeedMirror {
  /** Look for a new version now (also done every `intervalMs`). */
  refresh(): Promise<FeedState>;
  state(): FeedState;
}

export type PublishedFile = { readonly path: string } & ({ readonly data: Buffer } | { readonly file: string });

export interface PublishSpec {
  /** Served at `/feeds/v1/<name>/`. */
  readonly name: string;
  /** The feed's current files; asked on each manifest request. */
  files(): Awaitable<readonly PublishedFile[]>;
}
