/**
 * A snapshot as the bucket holds it: every folder, file and symlink with its
 * mode and time, and for each file its size, sha256 and where its bytes are
 * (a blob in a pack, or else an object of its own). Written last, and only if
 * absent, so a manifest in the bucket always names objects already there.
 * Version 3 adds `encoding` to a file stored compressed; an older release
 * refuses it by its version rather than restoring compressed bytes as they
 * are. Versions 1 (before packs) and 2 (before compression) are still read.
 */
import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzipSync, gzip } from 'node:zlib';
import { join } from 'node:path';
import { ENCODINGS, type Encoding } from './encoding.js';

export const MANIFEST_VERSION = 3;
/** Versions restore and the sweep read. */
const READABLE = new Set([1, 2, 3]);

export type ManifestEntry =
  | { readonly type: 'dir'; readonly path: string; readonly mode: number; readonly mtime: number }
  | FileEntry
  | { readonly type: 'symlink'; readonly path: string; readonly mtime: number; readonly target: string };

/**
 * A file: in pack `pack`, `length` stored bytes from `offset`; without `pack`,
 * the object named by its sha256. `encoding`: stored compressed.
 */
export interface FileEntry {
  readonly type: 'file';
  readonly path: string;
  readonly mode: number;
  readonly mtime: number;
  readonly size: number;
  readonly sha256: string;
  readonly pack?: string;
  readonly offset?: number;
  readonly length?: number;
  readonly encoding?: Encoding;
}

export interface Manifest {
  readonly version: 1 | 2 | typeof MANIFEST_VERSION;
  readonly serial: string;
  readonly snapshot: string;
  /** The snapshot folder's own mode and time. */
  readonly root: { readonly mode: number; readonly mtime: number };
  /** Paths relative to the snapshot folder, `/`-separated, parents before children. */
  readonly entries: readonly ManifestEntry[];
}

/** What a walk of the folder found, before the files are hashed; a file also says which inode it is. */
export type FoundEntry =
  | Exclude<ManifestEntry, { type: 'file' }>
  | { readonly type: 'file'; readonly path: string; readonly mode: number; readonly mtime: number; readonly size: number; readonly inode: string };

/** The snapshot folder's own mode and time. */
export async function rootOf(folder: string): Promise<Manifest['root']> {
  const info = await lstat(folder);
  return { mode: info.mode & 0o7777, mtime: Math.floor(info.mtimeMs) };
}

/**
 * Every folder, file and symlink under `root` (special files are never stored),
 * parents first. Blocking calls: it runs in a thread of the hash pool.
 */
export function walkSnapshotSync(root: string): FoundEntry[] {
  const found: FoundEntry[] = [];
  const visit = (relative: string): void => {
    const names = readdirSync(relative ? join(root, relative) : root).sort();
    for (const name of names) {
      const path = relative ? `${relative}/${name}` : name;
      const full = join(root, path);
      const info = lstatSync(full);
      const mtime = Math.floor(info.mtimeMs);
      if (info.isDirectory()) {
        found.push({ type: 'dir', path, mode: info.mode & 0o7777, mtime });
        visit(path);
      } else if (info.isFile()) {
        found.push({ type: 'file', path, mode: info.mode & 0o7777, mtime, size: info.size, inode: `${info.dev}:${info.ino}:${info.size}:${info.mtimeMs}` });
      } else if (info.isSymbolicLink()) {
        found.push({ type: 'symlink', path, mtime, target: readlinkSync(full) });
      }
    }
  };
  visit('');
  return found;
}

const compress = promisify(gzip);
/** A manifest's text is never this large; a body that would inflate past it is refused. */
const MAX_MANIFEST = 512 * 1024 * 1024;

/**
 * A manifest's bytes as stored (before sealing): its JSON gzipped. Paths,
 * digests and locations repeat a lot: a Journal's manifest shrinks about
 * fourfold, which an incremental pass, mostly manifests, feels.
 */
export async function encodeManifest(manifest: Manifest): Promise<Buffer> {
  return compress(Buffer.from(JSON.stringify(manifest)), { level: 6 });
}

/** A stored manifest's text: gzipped, or plain JSON as releases before packs wrote it. */
export function manifestText(plain: Buffer): string {
  const gzipped = plain.length >= 2 && plain[0] === 0x1f && plain[1] === 0x8b;
  return (gzipped ? gunzipSync(plain, { maxOutputLength: MAX_MANIFEST }) : plain).toString('utf8');
}

/** Bytes and files a manifest names. */
export function manifestTotals(manifest: Manifest): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const entry of manifest.entries) {
    if (entry.type !== 'file') continue;
    files++;
    bytes += entry.size;
  }
  return { files, bytes };
}

const SHA256 = /^[0-9a-f]{64}$/;

/**
 * Read a manifest from the bucket, checking every field: restore writes files
 * by these paths, so nothing in it is trusted (no absolute paths, no `..`, no
 * path through a symlink it also names).
 */
export function parseManifest(text: string, expected: { serial: string; snapshot: string }): Manifest {
  const data = JSON.parse(text) as Partial<Manifest>;
  if (!READABLE.has(data.version as number)) throw new Error(`manifest version ${String(data.version)} is not one of ${[...READABLE].join(', ')}`);
  if (data.serial !== expected.serial || data.snapshot !== expected.snapshot) throw new Error(`manifest is for ${String(data.serial)} ${String(data.snapshot)}`);
  if (!Array.isArray(data.entries)) throw new Error('manifest has no entries');
  if (!(Number.isInteger(data.root?.mode) && data.root!.mode >= 0 && data.root!.mode <= 0o7777 && Number.isFinite(data.root?.mtime))) throw new Error('manifest has no root mode and time');
  const dirs = new Set<string>(['']);
  const seen = new Set<string>();
  for (const entry of data.entries as ManifestEntry[]) {
    const path = entry?.path;
    if (typeof path !== 'string' || !isPlainPath(path)) throw new Error(`manifest names a bad path ${JSON.stringify(path)}`);
    const parent = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
    if (!dirs.has(parent) || seen.has(path)) throw new Error(`manifest names ${JSON.stringify(path)} before its folder, or twice`);
    seen.add(path);
    if (!Number.isFinite(entry.mtime)) throw new Error(`manifest entry ${path}: bad mtime`);
    if (entry.type === 'dir') dirs.add(path);
    if ((entry.type === 'dir' || entry.type === 'file') && !(Number.isInteger(entry.mode) && entry.mode >= 0 && entry.mode <= 0o7777)) {
      throw new Error(`manifest entry ${path}: bad mode`);
    }
    if (entry.type === 'file' && !(Number.isSafeInteger(entry.size) && entry.size >= 0 && SHA256.test(entry.sha256))) throw new Error(`manifest entry ${path}: bad size or digest`);
    if (entry.type === 'file' && entry.pack !== undefined && (data.version === 1 || !isBlob(entry))) throw new Error(`manifest entry ${path}: bad pack, offset or length`);
    if (entry.type === 'file' && entry.encoding !== undefined && (data.version! < 3 || !ENCODINGS.has(entry.encoding))) throw new Error(`manifest entry ${path}: unknown encoding ${JSON.stringify(entry.encoding)}`);
    if (entry.type === 'symlink' && typeof entry.target !== 'string') throw new Error(`manifest entry ${path}: bad symlink target`);
    if (!['dir', 'file', 'symlink'].includes(entry.type)) throw new Error(`manifest entry ${path}: unknown type`);
  }
  return data as Manifest;
}

function isBlob(entry: FileEntry): boolean {
  return typeof entry.pack === 'string' && SHA256.test(entry.pack) && Number.isSafeInteger(entry.offset) && entry.offset! >= 0 && Number.isSafeInteger(entry.length) && entry.length! >= 0;
}

function isPlainPath(path: string): boolean {
  return path.length > 0 && path.length < 4096 && !path.includes('\0') && path.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}
