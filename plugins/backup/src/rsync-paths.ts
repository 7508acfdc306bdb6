/**
 * Where a transfer may go: a laptop writes only into its own upload folders
 * (and its completion file), and reads only its own snapshots. Paths are
 * matched whole against those names, never resolved, so `..`, absolute paths,
 * other laptops' folders and anything else have nothing to match. rsync then
 * runs in the laptop's folder with the matched relative name.
 */
import { BackupErrors } from './errors.js';
import { COMPLETION, isSnapshotName, LATEST, UPLOAD_FOLDERS, type UploadFolder } from './laptop-folder.js';
import type { RsyncRequest } from './rsync-request.js';

/** Where ds-backup copies its empty "done" file (the old XS watched this folder). */
export const COMPLETION_PREFIX = '/var/lib/ds-backup/completion/';

/** A checked destination or source, relative to the laptop's folder. */
export type TransferTarget =
  | { readonly kind: 'upload'; readonly folder: UploadFolder; readonly paths: readonly [string] }
  | { readonly kind: 'completion'; readonly paths: readonly [string] }
  | { readonly kind: 'restore'; readonly paths: readonly string[] };

/** One path segment inside a snapshot: plain names only (no `.`, `..`, empty or hidden tricks). */
const SEGMENT = /^(?!\.\.?$)[A-Za-z0-9._-]{1,255}$/;

/** Map the request's paths for laptop `serial`; throws BACKUP_ERR_PATH_REFUSED. */
export function mapPaths(request: RsyncRequest, serial: string): TransferTarget {
  if (request.mode === 'receive') {
    const path = request.paths[0]!;
    if (path === COMPLETION_PREFIX + serial) return { kind: 'completion', paths: [COMPLETION] };
    if (path.startsWith(COMPLETION_PREFIX)) throw BackupErrors.PATH_REFUSED(path, `a laptop signs its own completion only (${COMPLETION_PREFIX}${serial})`);
    const folder = path.replace(/\/$/, '');
    if ((UPLOAD_FOLDERS as readonly string[]).includes(folder)) return { kind: 'upload', folder: folder as UploadFolder, paths: [folder] };
    throw BackupErrors.PATH_REFUSED(path, `uploads go to ${UPLOAD_FOLDERS.join(', ')} or ${COMPLETION_PREFIX}${serial}`);
  }
  return { kind: 'restore', paths: request.paths.map(restorePath) };
}

/** `datastore-latest` or a snapshot name, optionally followed by plain segments inside it; a trailing slash is kept (it means "the contents"). */
function restorePath(path: string): string {
  const trailing = path.endsWith('/') && path.length > 1;
  const segments = (trailing ? path.slice(0, -1) : path).split('/');
  const [top, ...inside] = segments;
  if (top !== LATEST && !isSnapshotName(top ?? '')) {
    throw BackupErrors.PATH_REFUSED(path, `restores read ${LATEST} or a snapshot (datastore-YYYY-MM-DD_HH:MM), read-only`);
  }
  if (!inside.every((segment) => SEGMENT.test(segment))) throw BackupErrors.PATH_REFUSED(path, 'only plain names may follow the snapshot');
  return segments.join('/') + (trailing ? '/' : '');
}
