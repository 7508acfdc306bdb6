/**
 * Journal entries in a snapshot, laid out as Sugar's datastore keeps them
 * (`<uid[:2]>/<uid>/data` and `<uid[:2]>/<uid>/metadata/<key>`, one file per
 * metadata key). Everything here came from a laptop: only regular files are
 * read (never through a symlink, never a fifo), and only up to a size.
 */
import type { Stats } from 'node:fs';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** An entry as the admin's list shows it. */
export interface JournalEntry {
  readonly uid: string;
  readonly title: string | null;
  readonly activity: string | null;
  /** As Sugar stored it (`mtime`, ISO 8601 local time). */
  readonly mtime: string | null;
  readonly mimeType: string | null;
  /** Bytes of the entry's file; 0 when it has none. */
  readonly bytes: number;
  readonly preview: boolean;
}

/** One entry's parts, for a Journal Entry Bundle. */
export interface EntryParts {
  readonly uid: string;
  /** Every metadata key but `preview`, as text. */
  readonly metadata: Readonly<Record<string, string>>;
  readonly dataFile: string | null;
  readonly previewFile: string | null;
}

const UID = /^[A-Za-z0-9-]{36}$/;
const KEY = /^[A-Za-z0-9_.-]{1,128}$/;
/** A metadata value larger than this is not text anyone reads in a list (previews are kept apart). */
const MAX_VALUE = 64 * 1024;
const PARALLEL = 32;

export function isEntryUid(value: string): boolean {
  return UID.test(value);
}

const regularFile = async (path: string): Promise<Stats | null> => {
  const stat = await lstat(path).catch(() => null);
  return stat?.isFile() ? stat : null;
};

async function readValue(path: string): Promise<string | null> {
  const stat = await regularFile(path);
  if (!stat || stat.size > MAX_VALUE) return null;
  return (await readFile(path)).toString('utf8');
}

function entryDir(snapshot: string, uid: string): string {
  return join(snapshot, uid.slice(0, 2), uid);
}

/** Every entry of a snapshot, by uid. */
export async function listEntries(snapshot: string): Promise<JournalEntry[]> {
  const uids: string[] = [];
  for (const prefix of await readdir(snapshot, { withFileTypes: true })) {
    if (!prefix.isDirectory() || prefix.name.length !== 2) continue;
    for (const entry of await readdir(join(snapshot, prefix.name), { withFileTypes: true })) {
      if (entry.isDirectory() && UID.test(entry.name) && entry.name.startsWith(prefix.name)) uids.push(entry.name);
    }
  }
  uids.sort();
  const entries: JournalEntry[] = [];
  for (let i = 0; i < uids.length; i += PARALLEL) entries.push(...(await Promise.all(uids.slice(i, i + PARALLEL).map((uid) => describe(snapshot, uid)))));
  return entries;
}

async function describe(snapshot: string, uid: string): Promise<JournalEntry> {
  const dir = entryDir(snapshot, uid);
  const meta = (key: string) => readValue(join(dir, 'metadata', key));
  const [title, activity, mtime, mimeType, data, preview] = await Promise.all([
    meta('title'), meta('activity'), meta('mtime'), meta('mime_type'),
    regularFile(join(dir, 'data')), regularFile(join(dir, 'metadata', 'preview')),
  ]);
  return { uid, title, activity, mtime, mimeType, bytes: data?.size ?? 0, preview: preview !== null };
}

/** One entry's files and metadata, or null when the snapshot holds no such entry. */
export async function readEntry(snapshot: string, uid: string): Promise<EntryParts | null> {
  if (!UID.test(uid)) return null;
  const dir = entryDir(snapshot, uid);
  if (!(await lstat(dir).catch(() => null))?.isDirectory()) return null;
  const metadata: Record<string, string> = {};
  const keys = await readdir(join(dir, 'metadata')).catch(() => [] as string[]);
  for (const key of keys.sort()) {
    if (key === 'preview' || !KEY.test(key)) continue;
    const value = await readValue(join(dir, 'metadata', key));
    if (value !== null) metadata[key] = value;
  }
  const dataFile = (await regularFile(join(dir, 'data'))) ? join(dir, 'data') : null;
  const previewFile = (await regularFile(join(dir, 'metadata', 'preview'))) ? join(dir, 'metadata', 'preview') : null;
  return { uid, metadata, dataFile, previewFile };
}
