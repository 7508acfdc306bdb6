/**
 * The plugin's store document: what inspection found for each library file,
 * keyed by name, size and modification time, so a restart reads only files that
 * changed; and the Mothership snapshot last applied.
 */
import type { DocumentVersion } from 'sugar-server';
import type { BundleRecord } from './bundle-record.js';

/** What is known of one file while its size and modification time stay the same. */
export type CachedFile =
  | { readonly size: number; readonly mtimeMs: number; readonly bundle: BundleRecord }
  | { readonly size: number; readonly mtimeMs: number; readonly problem: { readonly code: string; readonly reason: string } };

export interface ActivitiesDocument {
  /** By file name. */
  files: Record<string, CachedFile>;
  /** `generated` of the last Mothership snapshot placed, so a restart does not check it again. */
  upstreamGenerated: string | null;
}

export const EMPTY_DOCUMENT: ActivitiesDocument = { files: {}, upstreamGenerated: null };

/**
 * The version of this document's shape. A release that changes the shape
 * raises it and adds the migration from the version before to `migrate`
 * (README, Storage: versions and migrations).
 */
export const ACTIVITIES_DOCUMENT: DocumentVersion = { version: 1, migrate: {} };

/** Bring a document an older version wrote (or a hand-edited one) to the current shape. */
export function readDocument(data: Partial<ActivitiesDocument>): ActivitiesDocument {
  const files = typeof data.files === 'object' && data.files !== null ? data.files : {};
  return { files, upstreamGenerated: typeof data.upstreamGenerated === 'string' ? data.upstreamGenerated : null };
}
