/**
 * The layout of one laptop's folder, as the old XS kept `/library/users/<SN>/`:
 *
 * ```
 * <root>/<SN>/datastore-current/          what the last transfer left (rsync writes here)
 * <root>/<SN>/power-logs/  documents/     the other two transfers
 * <root>/<SN>/datastore-YYYY-MM-DD_HH:MM/ dated snapshots (UTC), hard-link copies of datastore-current
 * <root>/<SN>/datastore-latest            symlink to the newest complete snapshot
 * <root>/<SN>/.completion                 the empty file ds-backup sends last
 * ```
 */
import { lstat, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** The folders a laptop uploads into, by the name ds-backup gives them. */
export const UPLOAD_FOLDERS = ['datastore-current', 'power-logs', 'documents'] as const;
export type UploadFolder = (typeof UPLOAD_FOLDERS)[number];

export const CURRENT = 'datastore-current';
export const LATEST = 'datastore-latest';
/** Where the completion file lands, instead of the old shared `/var/lib/ds-backup/completion/`. */
export const COMPLETION = '.completion';

const SNAPSHOT = /^datastore-(\d{4})-(\d{2})-(\d{2})_(\d{2}):(\d{2})$/;

/** `datastore-YYYY-MM-DD_HH:MM` for a time, in UTC, to the minute (as ds-postprocess named them). */
export function snapshotName(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `datastore-${iso.slice(0, 10)}_${iso.slice(11, 16)}`;
}

/** The time a snapshot name stands for, or null when `name` is not one. */
export function snapshotTime(name: string): number | null {
  const match = SNAPSHOT.exec(name);
  if (!match) return null;
  const [, y, mo, d, h, mi] = match.map(Number) as number[];
  const ms = Date.UTC(y!, mo! - 1, d!, h!, mi!);
  return snapshotName(ms) === name ? ms : null;
}

export function isSnapshotName(name: string): boolean {
  return snapshotTime(name) !== null;
}

/** Where laptops' folders are. */
export class LaptopFolders {
  constructor(readonly root: string) {}

  /** `<root>/<SN>`; `serial` must already be checked. */
  dir(serial: string): string {
    return join(this.root, serial);
  }

  /**
   * Make the laptop's folder and its upload folders before rsync runs there.
   * Each upload folder must be a real directory: anything else in its place
   * (a symlink left by hand, a file) is removed, so rsync never writes through it.
   */
  async prepare(serial: string): Promise<string> {
    const dir = this.dir(serial);
    await mkdir(dir, { recursive: true, mode: 0o750 });
    for (const name of UPLOAD_FOLDERS) {
      const path = join(dir, name);
      const stat = await lstat(path).catch(() => null);
      if (stat?.isDirectory()) continue;
      if (stat) await rm(path, { recursive: true, force: true });
      await mkdir(path, { mode: 0o750 });
    }
    return dir;
  }
}
