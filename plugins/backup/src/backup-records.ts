/**
 * What the plugin remembers about each laptop's backups, in its store: when it
 * last completed one, how much its folder holds, and what each snapshot holds.
 * The folders on disk say which snapshots exist; this only adds their figures.
 */
import type { DocumentVersion } from 'sugar-server';

/** Figures of one snapshot, counted while it was made. */
export interface SnapshotRecord {
  /** Bytes of regular files. */
  readonly bytes: number;
  readonly files: number;
  /** Journal entries (`<uid[:2]>/<uid>` folders). */
  readonly entries: number;
  /** ISO 8601 time it was made. */
  readonly takenAt: string;
}

export interface LaptopRecord {
  /** ISO 8601 time of the last completed backup (its snapshot made). */
  readonly lastBackup: string | null;
  /** Bytes the laptop's folder holds, each file once; measured after each snapshot. */
  readonly usage: number;
  readonly snapshots: Readonly<Record<string, SnapshotRecord>>;
}

/** The store document. */
export interface BackupDocument {
  laptops: Record<string, LaptopRecord>;
  /** Per laptop, the snapshots whose manifest is in the bucket (`[backup] replicate_to`), oldest first; absent in stores made before replication. */
  replicated?: Record<string, string[]>;
}

export const EMPTY_BACKUPS: BackupDocument = { laptops: {} };

/**
 * The version of this document's shape. A release that changes the shape
 * raises it and adds the migration from the version before to `migrate`
 * (README, Storage: versions and migrations).
 */
export const BACKUP_DOCUMENT: DocumentVersion = { version: 1, migrate: {} };
